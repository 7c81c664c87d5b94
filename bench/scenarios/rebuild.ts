import { parseJson, request } from '../support/http.js';
import { delay } from '../support/processes.js';
import { newClient } from '../support/postgres.js';
import { type Bench, type BenchResult, skipped } from '../support/types.js';
import { generations, PROJECTION, seededHistory, settle } from './history-seed.js';
import { type RunningService, startService } from '../support/service.js';

interface Status {
  name: string;
  status: string;
}

/** GET /v1/projections until the projection reports "running" (its projector active). */
async function waitForRunning(service: RunningService, limitMs: number): Promise<string> {
  const deadline = Date.now() + limitMs;
  let status = 'no answer';
  while (Date.now() < deadline) {
    const response = await request(`${service.baseUrl}/v1/projections`, {
      timeoutMs: 30_000,
      authorization: service.authorization,
    }).catch(() => undefined);
    const list = response?.status === 200 ? parseJson<Status[]>(response.body) : undefined;
    status = list?.find((item) => item.name === PROJECTION)?.status ?? `HTTP ${response?.status ?? 'error'}`;
    if (status === 'running') break;
    await delay(200);
  }
  return status;
}

/** A requested build that has applied nothing after this long was not picked up. */
const START_LIMIT_MS = 10_000;

interface Progress {
  done: boolean;
  live: number;
  applied: number;
  elapsedMs: number;
  /** From every event applied to the new generation being live (the switch-over). */
  switchMs: number | undefined;
  why?: string;
}

/** Polls the projector's table every 100 ms until a generation newer than `from` is live. */
async function watch(
  client: ReturnType<typeof newClient>,
  from: number,
  events: number,
  started: number,
  limitMs: number,
): Promise<Progress> {
  const progress: Progress = { done: false, live: from, applied: 0, elapsedMs: 0, switchMs: undefined };
  let appliedAll: number | undefined;
  for (;;) {
    const rows = await generations(client);
    const building = rows.find((row) => row.state === 'building');
    const now = performance.now();
    progress.elapsedMs = now - started;
    progress.live = rows.find((row) => row.state === 'live')?.generation ?? progress.live;
    if (!building && progress.live > from) {
      progress.done = true;
      progress.switchMs = appliedAll === undefined ? 0 : now - appliedAll;
      return progress;
    }
    progress.applied = Number(building?.events_applied ?? progress.applied);
    if (progress.applied >= events) appliedAll ??= now;
    if (progress.applied === 0 && progress.elapsedMs > START_LIMIT_MS)
      return {
        ...progress,
        why: `the service had not started the requested build after ${START_LIMIT_MS / 1000} s`,
      };
    if (progress.elapsedMs > limitMs)
      return {
        ...progress,
        why: `not done in ${Math.round(limitMs / 1000)} s (${progress.applied} applied)`,
      };
    await delay(100);
  }
}

/**
 * Rebuilds the history read model blue/green through the service: POST
 * /v1/projections/messages/rebuild, then progress read from the projector's table every 100 ms
 * until the new generation is live (GET /v1/projections counts the rest of the log on each call,
 * which would load the very thing measured; it is asked only before and after).
 */
export const rebuild: Bench = {
  name: 'rebuild',
  async run(context): Promise<BenchResult[]> {
    const { historyMessages } = context.options;
    const what = `blue/green rebuild of the messages read model from ${historyMessages} events, driven through the service (POST /v1/projections/messages/rebuild)`;
    const seeded = await seededHistory(context);
    if (typeof seeded === 'string') return [skipped('rebuild', 'rebuild', what, seeded)];
    const service = await startService(context, 'rebuild', { databaseUrl: seeded.databaseUrl });
    if (typeof service === 'string') return [skipped('rebuild', 'rebuild', what, service)];
    const client = newClient(seeded.databaseUrl);
    await client.connect();
    try {
      const ready = await waitForRunning(service, 30_000);
      if (ready !== 'running') return [skipped('rebuild', 'rebuild', what, `skipped: projection ${ready}`)];
      const from = (await generations(client)).find((row) => row.state === 'live')?.generation ?? 0;

      const started = performance.now();
      const posted = await request(`${service.baseUrl}/v1/projections/${PROJECTION}/rebuild`, {
        method: 'POST',
        authorization: service.authorization,
      });
      if (posted.status !== 202) throw new Error(`POST rebuild answered ${posted.status}: ${posted.body}`);
      const limitMs = Math.min(600_000, Math.max(60_000, seeded.events / 2));
      const progress = await watch(client, from, seeded.events, started, limitMs);
      const after = await waitForRunning(service, 10_000);
      const { rows } = await client.query<{ count: string }>('SELECT count(*) AS count FROM rm_messages');
      const readModelRows = Number(rows[0]?.count ?? 0);
      await settle(seeded.databaseUrl);
      const ok = progress.done && readModelRows === seeded.events && after === 'running';
      if (!ok) context.log(`rebuild: service said: ${service.lastOutput() || '(nothing)'}`);
      return [
        {
          id: 'rebuild',
          name: `rebuild (${seeded.events.toLocaleString('en-US')} events)`,
          what,
          unit: 'events/s',
          rate: progress.done ? seeded.events / (progress.elapsedMs / 1000) : undefined,
          extra: {
            via: 'service',
            elapsedMs: Math.round(progress.elapsedMs),
            generations: `${from} → ${progress.live}`,
            rowsAfter: readModelRows,
            statusAfter: after,
            switchMs: Math.round(progress.switchMs ?? 0),
            ...(progress.why ? { failure: progress.why } : {}),
          },
          check: {
            ok,
            detail: ok
              ? `ok: generation ${progress.live} live with ${readModelRows} rows`
              : `FAILED: ${progress.why ?? ''}; ${readModelRows} rows, status ${after}`,
          },
        },
      ];
    } finally {
      await client.end();
      await service.stop();
    }
  },
};
