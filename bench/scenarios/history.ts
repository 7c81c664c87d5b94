import { parseJson, request } from '../support/http.js';
import { type LoadJob, type LoadSummary, runLoad } from '../load/client.js';
import { type Bench, type BenchContext, type BenchResult, skipped } from '../support/types.js';
import { failureExtra } from './http-load.js';
import { seededHistory, type SeededHistory } from './history-seed.js';
import { type HttpTarget, noSuccessReason, type RunningService, startService } from '../support/service.js';

export const HISTORY_LIMIT = 50;

/**
 * One GET of the measured page before the load: 50 messages, more beyond them, and the revision
 * of the project's last event, in ascending order ending at it.
 */
export async function checkPage(
  target: HttpTarget,
  seeded: SeededHistory,
  size: number,
): Promise<{ ok: boolean; detail: string }> {
  const url = `${target.baseUrl}/v1/projects/${seeded.projectId}/messages?limit=${HISTORY_LIMIT}`;
  const response = await request(url, { timeoutMs: 30_000, authorization: target.authorization });
  const body = parseJson<{ data?: { sequence?: unknown }[]; hasMore?: unknown; revision?: unknown }>(
    response.body,
  );
  const sequences = (body?.data ?? []).map((message) => Number(message.sequence));
  const expected = Array.from({ length: HISTORY_LIMIT }, (_, i) => size - HISTORY_LIMIT + i);
  const ok =
    response.status === 200 &&
    body?.hasMore === true &&
    body.revision === size - 1 &&
    sequences.join() === expected.join();
  const detail = ok
    ? `ok: newest ${HISTORY_LIMIT} of ${size}, revision ${size - 1}`
    : `FAILED: ${response.status}, ${sequences.length} messages ${sequences[0]}…${sequences.at(-1)}, hasMore ${String(body?.hasMore)}, revision ${String(body?.revision)}`;
  return { ok, detail };
}

/** The same autocannon load against either server: GET the newest page of the long project. */
export function loadHistory(
  context: BenchContext,
  target: HttpTarget,
  projectId: string,
): Promise<LoadSummary> {
  return loadReads(context, target, { kind: 'history', project: projectId });
}

/**
 * A read-only load at the run's connections and phase length, each connection's requests capped
 * and carrying its own token when the target reads them.
 */
export async function loadReads(
  context: BenchContext,
  target: HttpTarget,
  job: Pick<LoadJob, 'kind' | 'project' | 'paths'>,
): Promise<LoadSummary> {
  const { connections, durationSec, warmupSec } = context.options;
  return runLoad(
    {
      ...job,
      baseUrl: target.baseUrl,
      connections,
      durationSec,
      maxPerConnection: Math.ceil((50_000 * durationSec) / connections),
      authorization: await target.loadAuthorizations?.({ ...job, connections }),
    },
    warmupSec,
  );
}

/** A read load's figures, with the check of its pages that its target counts on. */
export function readResult(
  row: Pick<BenchResult, 'id' | 'name' | 'what'>,
  load: LoadSummary,
  service: RunningService,
  check: NonNullable<BenchResult['check']>,
): BenchResult {
  return {
    ...row,
    unit: 'req/s',
    rate: load.rate,
    p50Ms: load.p50Ms,
    p99Ms: load.p99Ms,
    extra: { ...failureExtra(load, service), check: check.detail },
    check,
  };
}

function buildRow(seeded: SeededHistory): BenchResult {
  return {
    id: 'history-build',
    name: `initial build (${seeded.events.toLocaleString('en-US')} events)`,
    what: "first catch-up of the live read model by the service's projector, started on a log seeded while it was stopped",
    unit: 'events/s',
    rate: seeded.buildRate,
    extra: {
      events: seeded.events,
      projects: seeded.projects,
      buildMs: Math.round(seeded.buildMs),
      seededVia: 'PostgresEventStore.append (250 events each, 16 at a time)',
      seedRate: Math.round(seeded.events / (seeded.seedMs / 1000)),
      seedMs: Math.round(seeded.seedMs),
    },
  };
}

export const history: Bench = {
  name: 'history',
  async run(context): Promise<BenchResult[]> {
    const { connections, historyMessages, historyProject } = context.options;
    const what = `GET /v1/projects/{p}/messages?limit=${HISTORY_LIMIT} on a project of ${historyProject} in a read model of ${historyMessages}; autocannon, ${connections} connections`;
    const seeded = await seededHistory(context);
    if (typeof seeded === 'string')
      return [
        skipped('history-build', 'initial build', '', seeded),
        skipped('history', 'history', what, seeded),
      ];
    const build = buildRow(seeded);
    const service = await startService(context, 'history', { databaseUrl: seeded.databaseUrl });
    if (typeof service === 'string') return [build, skipped('history', 'history', what, service)];
    try {
      const check = await checkPage(service, seeded, historyProject);
      const load = await loadHistory(context, service, seeded.projectId);
      if (load.ok === 0)
        return [build, skipped('history', 'history', what, noSuccessReason(load.statusCodes, load.errors))];
      return [
        build,
        readResult({ id: 'history', name: `history (HTTP) ×${connections}`, what }, load, service, check),
      ];
    } finally {
      await service.stop();
    }
  },
};
