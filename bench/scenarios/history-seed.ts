import { streamNameOf } from '../../src/conversation/conversation-stream.js';
import { delay } from '../support/processes.js';
import { newClient } from '../support/postgres.js';
import type { BenchContext } from '../support/types.js';
import { openEventStore, userMessaged } from './append-many-port.js';
import { startService } from '../support/service.js';

/**
 * The read model that http-raw-select, history and rebuild share: an event log of
 * `historyMessages` UserMessaged events (one project of `historyProject`, the rest in projects of
 * PROJECT_SIZE), appended while the service is stopped, then projected by the service's own
 * projector on its next start: that first catch-up is timed. Seeded once per run, on its own
 * database, by whichever of the three runs first.
 */
export interface SeededHistory {
  databaseUrl: string;
  /** The project of `historyProject` messages whose newest page is measured. */
  projectId: string;
  events: number;
  projects: number;
  seedMs: number;
  /** Initial build: events/s over the window in which progress was observed. */
  buildRate: number;
  /** From the service answering to the live read model holding every event. */
  buildMs: number;
}

export const PROJECTION = 'messages';
export const HISTORY_PROJECT = 'history-long';
const PROJECT_SIZE = 1_000;
/** Events per PostgresEventStore.append; concurrent appends are combined into one transaction. */
const CHUNK = 250;
const CONCURRENCY = 16;

let seeded: Promise<SeededHistory | string> | undefined;

/** The shared read model; the reason instead when the service cannot run. */
export function seededHistory(context: BenchContext): Promise<SeededHistory | string> {
  return (seeded ??= seed(context));
}

/**
 * Appends of CHUNK events, each project's spread over the whole log (ordered by how far through
 * its project each chunk is), so that the log interleaves projects as live traffic would.
 */
function chunks(total: number, bigProject: number): { projectId: string; count: number }[] {
  const projects: { projectId: string; size: number }[] = [{ projectId: HISTORY_PROJECT, size: bigProject }];
  for (let left = total - bigProject, i = 0; left > 0; left -= PROJECT_SIZE, i++)
    projects.push({ projectId: `history-${i}`, size: Math.min(PROJECT_SIZE, left) });
  const planned = projects.flatMap(({ projectId, size }) => {
    const count = Math.ceil(size / CHUNK);
    return Array.from({ length: count }, (_, k) => ({
      projectId,
      count: Math.min(CHUNK, size - k * CHUNK),
      at: (k + 0.5) / count,
    }));
  });
  return planned.sort((a, b) => a.at - b.at);
}

async function appendLog(url: string, total: number, bigProject: number): Promise<number> {
  const { store, close } = await openEventStore(url, { migrate: false });
  const planned = chunks(total, bigProject);
  const written = new Map<string, number>();
  // Each project's appends one after the other, so its contents count up with its revisions.
  const tails = new Map<string, Promise<unknown>>();
  const createdAt = new Date().toISOString();
  let next = 0;
  try {
    const writer = async (): Promise<void> => {
      for (let item = planned[next++]; item; item = planned[next++]) {
        const from = written.get(item.projectId) ?? 0;
        written.set(item.projectId, from + item.count);
        const events = Array.from({ length: item.count }, (_, i) =>
          userMessaged(item.projectId, `history message ${from + i}`, createdAt),
        );
        const stream = streamNameOf(item.projectId);
        const expected = from === 0 ? 'no_stream' : BigInt(from - 1);
        const previous = tails.get(stream);
        const appended = (previous ?? Promise.resolve()).then(() => store.append(stream, events, expected));
        tails.set(stream, appended);
        await appended;
      }
    };
    await Promise.all(Array.from({ length: CONCURRENCY }, writer));
  } finally {
    await close();
  }
  return written.size;
}

interface GenerationRow {
  generation: number;
  state: string;
  events_applied: string;
  failed: boolean;
  last_error: string | null;
}

/** The projection's generations, read from the projector's table (GET /v1/projections counts the log). */
export async function generations(client: ReturnType<typeof newClient>): Promise<GenerationRow[]> {
  const { rows } = await client.query<GenerationRow>(
    `SELECT generation, state, events_applied, failed, last_error FROM projection_generations
      WHERE name = $1 ORDER BY generation`,
    [PROJECTION],
  );
  const failed = rows.find((row) => row.failed);
  if (failed) throw new Error(`projection failed: ${failed.last_error ?? 'no reason given'}`);
  return rows;
}

/** Polls the live generation until it has applied `events`; returns the observed rate. */
async function waitForLive(
  url: string,
  events: number,
  limitMs: number,
): Promise<{ rate: number; ms: number }> {
  const client = newClient(url);
  await client.connect();
  const started = performance.now();
  let first: { at: number; applied: number } | undefined;
  try {
    while (performance.now() - started < limitMs) {
      const live = (await generations(client)).find((row) => row.state === 'live');
      const applied = Number(live?.events_applied ?? 0);
      const at = performance.now();
      if (applied > 0) first ??= { at, applied };
      if (applied >= events) {
        const window =
          first && first.applied < applied ? { ms: at - first.at, n: applied - first.applied } : undefined;
        const rate = window ? window.n / (window.ms / 1000) : applied / ((at - started) / 1000);
        return { rate, ms: at - started };
      }
      await delay(100);
    }
  } finally {
    await client.end();
  }
  throw new Error(`initial build did not finish in ${Math.round(limitMs / 1000)} s`);
}

/**
 * What autovacuum and the checkpointer would soon do after a million-row write, done now: so
 * the planner has statistics, and neither lands in the middle of a later bench.
 */
export async function settle(url: string): Promise<void> {
  const client = newClient(url);
  await client.connect();
  try {
    await client.query('VACUUM (ANALYZE)');
    await client.query('CHECKPOINT').catch(() => undefined); // needs a privileged role
  } finally {
    await client.end();
  }
}

async function seed(context: BenchContext): Promise<SeededHistory | string> {
  const { historyMessages: events, historyProject } = context.options;
  const databaseUrl = await context.database('history');
  // The service migrates the database; the log is then written while no projector runs.
  const first = await startService(context, 'history (migrating)', { databaseUrl });
  if (typeof first === 'string') return first;
  await first.stop();

  context.log(`history: appending ${events} events…`);
  const seedStarted = performance.now();
  const projects = await appendLog(databaseUrl, events, historyProject);
  const seedMs = performance.now() - seedStarted;
  context.log(`history: ${events} events in ${(seedMs / 1000).toFixed(1)} s; initial build…`);

  const service = await startService(context, 'history (initial build)', { databaseUrl });
  if (typeof service === 'string') return service;
  try {
    const build = await waitForLive(databaseUrl, events, Math.min(600_000, Math.max(60_000, events / 2)));
    await settle(databaseUrl);
    context.log(`history: built in ${(build.ms / 1000).toFixed(1)} s`);
    return {
      databaseUrl,
      projectId: HISTORY_PROJECT,
      events,
      projects,
      seedMs,
      buildRate: build.rate,
      buildMs: build.ms,
    };
  } finally {
    await service.stop();
  }
}
