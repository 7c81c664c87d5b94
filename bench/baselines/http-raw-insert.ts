import { fork } from 'node:child_process';
import { runLoad } from '../load/client.js';
import { benchFile, stopChild, tail, track } from '../support/processes.js';
import type { Bench, BenchResult } from '../support/types.js';
import { EVENTS_TABLE_SQL } from './events-table.js';
import { newClient } from '../support/postgres.js';

/** The same pool size the service uses by default (DATABASE_POOL_SIZE). */
const POOL_SIZE = 20;

export const httpRawInsert: Bench = {
  name: 'http-raw-insert',
  async run(context): Promise<BenchResult[]> {
    const url = await context.database('http_raw_insert');
    const setup = newClient(url);
    await setup.connect();
    try {
      await setup.query(EVENTS_TABLE_SQL);
    } finally {
      await setup.end();
    }

    const server = track(
      fork(benchFile('./baselines/http-raw-insert-server.js'), [], {
        env: { ...process.env, DATABASE_URL: url, POOL_SIZE: String(POOL_SIZE) },
        stdio: ['ignore', 'pipe', 'pipe', 'ipc'],
      }),
    );
    const output = tail(server);
    try {
      const port = await new Promise<number>((resolve, reject) => {
        server.once('message', (message) => resolve((message as { port: number }).port));
        server.once('exit', (code) =>
          reject(new Error(`http-raw-insert server exited (${code}): ${output()}`)),
        );
      });
      const { connections, durationSec } = context.options;
      const load = await runLoad(
        {
          kind: 'raw-insert',
          baseUrl: `http://127.0.0.1:${port}`,
          connections,
          durationSec,
          maxPerConnection: Math.ceil((50_000 * durationSec) / connections),
          project: 'unused',
        },
        context.options.warmupSec,
      );
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
      await stopChild(server);
    }
  },
};
