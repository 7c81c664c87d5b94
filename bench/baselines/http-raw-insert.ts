import { type LoadSummary, runLoad } from '../load/client.js';
import { type BaselineServer, forkBaselineServer } from '../support/baseline-process.js';
import type { Bench, BenchContext, BenchResult } from '../support/types.js';
import { EVENTS_TABLE_SQL } from './events-table.js';
import { newClient } from '../support/postgres.js';

/** The same pool size the service uses by default (DATABASE_POOL_SIZE). */
export const POOL_SIZE = 20;

/** The baseline's server, on a fresh database of its own with the events table. */
export async function startRawInsertServer(context: BenchContext, name: string): Promise<BaselineServer> {
  const url = await context.database(name);
  const setup = newClient(url);
  await setup.connect();
  try {
    await setup.query(EVENTS_TABLE_SQL);
  } finally {
    await setup.end();
  }
  return forkBaselineServer('./baselines/http-raw-insert-server.js', url, POOL_SIZE);
}

/** One POST per request, each connection on its own stream, after `warmupSec` of the same. */
export function rawInsertLoad(
  baseUrl: string,
  connections: number,
  durationSec: number,
  warmupSec: number,
): Promise<LoadSummary> {
  return runLoad(
    {
      kind: 'raw-insert',
      baseUrl,
      connections,
      durationSec,
      maxPerConnection: Math.ceil((50_000 * durationSec) / connections),
      project: 'unused',
    },
    warmupSec,
  );
}

export const httpRawInsert: Bench = {
  name: 'http-raw-insert',
  async run(context): Promise<BenchResult[]> {
    const server = await startRawInsertServer(context, 'http_raw_insert');
    try {
      const { connections, durationSec } = context.options;
      const load = await rawInsertLoad(server.baseUrl, connections, durationSec, context.options.warmupSec);
      const extra: BenchResult['extra'] = { ok: load.ok };
      if (load.non2xx + load.errors > 0) Object.assign(extra, { non2xx: load.non2xx, errors: load.errors });
      return [
        {
          id: 'http-raw-insert',
          name: 'http-raw-insert',
          what: `node:http server (child process), one INSERT per POST, pg Pool of ${POOL_SIZE}; autocannon, ${connections} connections`,
          unit: 'req/s',
          rate: load.rate,
          p50Ms: load.p50Ms,
          p99Ms: load.p99Ms,
          extra,
        },
      ];
    } finally {
      await server.stop();
    }
  },
};
