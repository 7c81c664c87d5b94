import { streamNameOf } from '../../src/conversation/conversation-stream.js';
import type http from 'node:http';
import { keepAliveAgent, request } from '../support/http.js';
import { delay } from '../support/processes.js';
import { percentile, runWriters } from '../support/stats.js';
import { type Bench, type BenchResult, skipped } from '../support/types.js';
import { openEventStore, userMessaged } from './append-many-port.js';
import { type RunningService, startService } from '../support/service.js';
import { newClient } from '../support/postgres.js';

const BATCH = 500;

/** Straight into the service's event store when it has the Postgres one, else over HTTP. */
async function seed(service: RunningService, projectId: string, count: number): Promise<string> {
  const client = newClient(service.databaseUrl);
  await client.connect();
  const { rows } = await client
    .query<{ ready: boolean }>(
      `SELECT to_regclass('es_events') IS NOT NULL
          AND EXISTS (SELECT 1 FROM pg_proc WHERE proname = 'es_append_batch') AS ready`,
    )
    .finally(() => client.end());
  if (rows[0]?.ready) {
    const { store, close } = await openEventStore(service.databaseUrl, { migrate: false });
    try {
      let expected: bigint | 'no_stream' = 'no_stream';
      for (let done = 0; done < count; done += BATCH) {
        const events = Array.from({ length: Math.min(BATCH, count - done) }, (_, i) =>
          userMessaged(projectId, `seeded message ${done + i}`),
        );
        expected = (await store.append(streamNameOf(projectId), events, expected)).nextExpectedRevision;
      }
    } finally {
      await close();
    }
    return 'event store';
  }
  let next = 0;
  const seeded = await runWriters(16, { durationMs: 600_000, maxPerWriter: count }, async () => {
    if (next >= count) return false;
    const { status } = await request(messagesUrl(service, projectId), {
      method: 'POST',
      json: { content: `seeded ${next++}` },
      authorization: service.authorization,
    });
    if (status !== 201) throw new Error(`seeding POST answered ${status}`);
  });
  if (seeded.errors > 0) throw new Error(`seeding over HTTP failed: ${seeded.firstError}`);
  return 'HTTP';
}

function messagesUrl(service: RunningService, projectId: string): string {
  return `${service.baseUrl}/v1/projects/${encodeURIComponent(projectId)}/messages`;
}

/**
 * Lets the projector finish the seeded events first, so they do not load the measurement.
 * Says how that went: the status that ended the wait, and when.
 */
async function waitForReadModel(
  service: RunningService,
  projectId: string,
  revision: number,
  limitMs: number,
): Promise<string> {
  const started = Date.now();
  let status = 0;
  while (Date.now() - started < limitMs) {
    ({ status } = await request(`${messagesUrl(service, projectId)}?limit=1&minRevision=${revision}`, {
      timeoutMs: 10_000,
      authorization: service.authorization,
    }).catch(() => ({ status: 0 })));
    if (status === 200 || status === 404) break;
    await delay(100);
  }
  return `${status} after ${Date.now() - started} ms`;
}

async function post(
  service: RunningService,
  url: string,
  agent: http.Agent,
  counter: { errors: number },
): Promise<number> {
  const begin = performance.now();
  const { status } = await request(url, {
    method: 'POST',
    json: { content: 'long-stream probe' },
    agent,
    authorization: service.authorization,
  });
  if (status !== 201) counter.errors++;
  return performance.now() - begin;
}

export const longStream: Bench = {
  name: 'long-stream',
  async run(context): Promise<BenchResult[]> {
    const { longStream: count, samples, quick } = context.options;
    const what = `sequential single-client POST /messages on a project of ${count} messages`;
    const service = await startService(context, 'long-stream');
    if (typeof service === 'string') return [skipped('long-stream', 'long-stream', what, service)];
    try {
      const run = Date.now().toString(36);
      const [longProject, newProject] = [`long-${run}`, `new-${run}`];
      const seededStarted = performance.now();
      const seededVia = await seed(service, longProject, count);
      const seedMs = performance.now() - seededStarted;
      const readModel = await waitForReadModel(service, longProject, count - 1, quick ? 15_000 : 120_000);

      const [longUrl, newUrl] = [messagesUrl(service, longProject), messagesUrl(service, newProject)];
      const [longAgent, newAgent] = [keepAliveAgent(), keepAliveAgent()];
      const failures = { errors: 0 };
      const firstLongMs = await post(service, longUrl, longAgent, failures);
      for (let i = 0; i < 3; i++) await post(service, newUrl, newAgent, failures);
      const timings = { long: [] as number[], fresh: [] as number[] };
      // Alternating spreads the machine's noise evenly over both projects.
      for (let i = 0; i < samples; i++) {
        timings.long.push(await post(service, longUrl, longAgent, failures));
        timings.fresh.push(await post(service, newUrl, newAgent, failures));
      }
      longAgent.destroy();
      newAgent.destroy();

      const row = (id: string, name: string, latencies: number[], description: string): BenchResult => ({
        id,
        name,
        what: description,
        unit: 'req/s',
        rate: latencies.length / (latencies.reduce((sum, ms) => sum + ms, 0) / 1000),
        p50Ms: percentile(latencies, 50),
        p99Ms: percentile(latencies, 99),
        extra: {},
      });
      const long = row('long-stream', `long-stream (${count})`, timings.long, what);
      long.extra = {
        samples,
        errors: failures.errors,
        seededVia,
        seedMs: Math.round(seedMs),
        readModel,
        firstRequestMs: Number(firstLongMs.toFixed(2)),
      };
      const fresh = row(
        'long-stream-new',
        'long-stream (new project)',
        timings.fresh,
        'the same, on a new project',
      );
      return [long, fresh];
    } finally {
      await service.stop();
    }
  },
};
