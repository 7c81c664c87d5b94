import { forkBaselineServer } from '../support/baseline-process.js';
import { checkPage, HISTORY_LIMIT, loadHistory } from '../scenarios/history.js';
import { seededHistory } from '../scenarios/history-seed.js';
import { type Bench, type BenchResult, skipped } from '../support/types.js';

/** The same pool size the service uses by default (DATABASE_POOL_SIZE). */
const POOL_SIZE = 20;

/**
 * The floor of a history query over HTTP: a plain node:http server running the service's own
 * newest-page statement on the read model that history measures (the same database).
 */
export const httpRawSelect: Bench = {
  name: 'http-raw-select',
  async run(context): Promise<BenchResult[]> {
    const { connections, historyMessages, historyProject } = context.options;
    const what = `node:http server (child process), the service's newest-page SQL (limit ${HISTORY_LIMIT}) on history's read model (${historyProject} of ${historyMessages}), pg Pool of ${POOL_SIZE}; autocannon, ${connections} connections`;
    const seeded = await seededHistory(context);
    if (typeof seeded === 'string') return [skipped('http-raw-select', 'http-raw-select', what, seeded)];
    const server = await forkBaselineServer(
      './baselines/http-raw-select-server.js',
      seeded.databaseUrl,
      POOL_SIZE,
    );
    try {
      const check = await checkPage(server, seeded, historyProject);
      const load = await loadHistory(context, server, seeded.projectId);
      const extra: BenchResult['extra'] = { ok: load.ok, check: check.detail };
      if (load.non2xx + load.errors > 0) Object.assign(extra, { non2xx: load.non2xx, errors: load.errors });
      return [
        {
          id: 'http-raw-select',
          name: 'http-raw-select',
          what,
          unit: 'req/s',
          rate: load.rate,
          p50Ms: load.p50Ms,
          p99Ms: load.p99Ms,
          extra,
          check,
        },
      ];
    } finally {
      await server.stop();
    }
  },
};
