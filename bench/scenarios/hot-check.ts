import { parseJson, request } from '../support/http.js';
import { type Ack, parseHotContent } from '../load/client.js';
import type { RunningService } from '../support/service.js';

export interface LoggedEvent {
  revision: number;
  type: string;
  data: { messageId?: unknown; content?: unknown };
}

interface EventsPage {
  data?: LoggedEvent[];
  nextRevision?: number | null;
}

const PAGE = 1000;

/** The project's whole event log through GET /events, page by page (bounded by `maxEvents`). */
export async function readLog(
  service: RunningService,
  projectId: string,
  maxEvents: number,
): Promise<LoggedEvent[] | string> {
  const events: LoggedEvent[] = [];
  let from: number | null = 0;
  for (let page = 0; from !== null && page < Math.ceil(maxEvents / PAGE) + 10; page++) {
    const url = `${service.baseUrl}/v1/projects/${encodeURIComponent(projectId)}/events?fromRevision=${from}&limit=${PAGE}`;
    const response = await request(url, { timeoutMs: 30_000, authorization: service.authorization });
    const body = parseJson<EventsPage>(response.body);
    if (response.status !== 200 || !Array.isArray(body?.data)) {
      return `GET /events answered ${response.status}: ${response.body.slice(0, 200)}`;
    }
    events.push(...body.data);
    from = typeof body.nextRevision === 'number' ? body.nextRevision : null;
  }
  return from === null ? events : `GET /events still had pages after ${events.length} events`;
}

export interface HotCheck {
  ok: boolean;
  detail: string;
  logged: number;
}

/**
 * Every acknowledged message is in the log exactly once at the sequence it was acknowledged
 * with, sequences are unique, and each client's messages appear in the order it sent them.
 */
export function checkHot(acks: readonly Ack[], events: readonly LoggedEvent[]): HotCheck {
  const revisionsById = new Map<string, number[]>();
  const revisions = new Set<number>();
  let duplicateRevisions = 0;
  const lastCounter = new Map<number, number>();
  let outOfOrder = 0;
  for (const event of [...events].sort((a, b) => a.revision - b.revision)) {
    if (revisions.has(event.revision)) duplicateRevisions++;
    revisions.add(event.revision);
    if (event.type !== 'UserMessaged' || typeof event.data.messageId !== 'string') continue;
    revisionsById.set(event.data.messageId, [
      ...(revisionsById.get(event.data.messageId) ?? []),
      event.revision,
    ]);
    const sent = parseHotContent(event.data.content);
    if (!sent) continue;
    if (sent.counter <= (lastCounter.get(sent.client) ?? -1)) outOfOrder++;
    lastCounter.set(sent.client, sent.counter);
  }

  let missing = 0;
  let duplicated = 0;
  let wrongSequence = 0;
  for (const ack of acks) {
    const found = revisionsById.get(ack.id) ?? [];
    if (found.length === 0) missing++;
    if (found.length > 1) duplicated++;
    if (found.length === 1 && found[0] !== ack.sequence) wrongSequence++;
  }
  const ackedSequences = new Set(acks.map((ack) => ack.sequence));
  const sharedSequences = acks.length - ackedSequences.size;

  const problems = [
    [missing, 'acknowledged but missing'],
    [duplicated, 'present more than once'],
    [wrongSequence, 'at another sequence than acknowledged'],
    [sharedSequences + duplicateRevisions, 'duplicate sequences'],
    [outOfOrder, 'out of client order'],
  ]
    .filter(([count]) => Number(count) > 0)
    .map(([count, what]) => `${count} ${what}`);
  const logged = [...revisionsById.values()].reduce((sum, found) => sum + found.length, 0);
  return {
    ok: problems.length === 0 && acks.length > 0,
    detail:
      problems.length > 0
        ? `FAILED: ${problems.join(', ')}`
        : `ok: ${acks.length} acknowledged, each once at its sequence, per-client order kept (${logged} in log)`,
    logged,
  };
}
