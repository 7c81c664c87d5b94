import { request } from '../support/http.js';
import { runLoad } from '../load/client.js';
import { type Bench, type BenchResult, skipped } from '../support/types.js';
import { checkHot, readLog } from './hot-check.js';
import { failureExtra } from './http-load.js';
import { noSuccessReason, startService } from '../support/service.js';

/**
 * Sums the service's Prometheus counters whose name mentions retries or conflicts, when it
 * exports any: the server-side retries that the clients never see.
 */
async function serverRetries(baseUrl: string): Promise<number | undefined> {
  const response = await request(`${baseUrl}/metrics`).catch(() => undefined);
  if (response?.status !== 200) return undefined;
  let total: number | undefined;
  for (const line of response.body.split('\n')) {
    const match = /^([a-zA-Z_:][\w:]*(?:retr|conflict)[\w:]*)(?:\{[^}]*\})?\s+([0-9.eE+-]+)$/i.exec(
      line.trim(),
    );
    if (match && !match[1]?.endsWith('_bucket')) total = (total ?? 0) + Number(match[2]);
  }
  return total;
}

export const appendHot: Bench = {
  name: 'append-hot',
  async run(context): Promise<BenchResult[]> {
    const { connections, durationSec } = context.options;
    const what = `${connections} clients on ONE project, POST /messages with client-chosen ids, each client sequential; log verified after`;
    const service = await startService(context, 'append-hot');
    if (typeof service === 'string') return [skipped('append-hot', 'append-hot', what, service)];
    try {
      const project = `append-hot-${Date.now().toString(36)}`;
      const load = await runLoad(
        {
          kind: 'messages-hot',
          baseUrl: service.baseUrl,
          connections,
          durationSec,
          maxPerConnection: Math.ceil((20_000 * durationSec) / connections),
          project,
          authorization: await service.loadAuthorizations({ kind: 'messages-hot', project, connections }),
        },
        context.options.warmupSec,
      );
      if (load.ok === 0)
        return [skipped('append-hot', 'append-hot', what, noSuccessReason(load.statusCodes, load.errors))];

      const log = await readLog(service, project, load.ok + load.non2xx + load.errors + 10_000);
      const check =
        typeof log === 'string'
          ? { ok: false, detail: `FAILED: ${log}`, logged: 0 }
          : checkHot(load.acks, log);
      const extra = failureExtra(load, service);
      const retries = await serverRetries(service.baseUrl);
      if (retries !== undefined) extra.serverRetries = retries;
      extra.acknowledged = load.acks.length;
      extra.inLog = check.logged;
      extra.check = check.detail;
      return [
        {
          id: 'append-hot',
          name: `append-hot (HTTP) ×${connections}`,
          what,
          unit: 'appends/s',
          rate: load.rate,
          p50Ms: load.p50Ms,
          p99Ms: load.p99Ms,
          extra,
          check: { ok: check.ok && load.non2xx === 0 && load.errors === 0, detail: check.detail },
        },
      ];
    } finally {
      await service.stop();
    }
  },
};
