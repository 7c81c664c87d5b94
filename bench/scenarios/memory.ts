import { runLoad } from '../load/client.js';
import { delay, rssMb } from '../support/processes.js';
import { conversationsStartingWith } from '../support/postgres.js';
import { type Bench, type BenchResult, skipped } from '../support/types.js';
import { failureExtra } from './http-load.js';
import { noSuccessReason, startService } from '../support/service.js';
import { gcExtra, readServiceMetrics } from '../support/service-metrics.js';

/** After the last write, before RSS is read. */
const SETTLE_MS = 1_000;

/** Service RSS after one message to each of many distinct projects, over HTTP. */
export const memory: Bench = {
  name: 'memory',
  async run(context): Promise<BenchResult[]> {
    const { memoryProjects, connections } = context.options;
    const what = `service RSS (VmRSS) after POST /messages to ${memoryProjects} distinct projects, one message each; autocannon, ${connections} connections`;
    const service = await startService(context, 'memory');
    if (typeof service === 'string') return [skipped('memory', 'memory', what, service)];
    try {
      const before = await rssMb(service.pid);
      const metricsBefore = await readServiceMetrics(service.baseUrl);
      const prefix = `mem-${Date.now().toString(36)}`;
      const clients = Math.min(connections, memoryProjects);
      const load = await runLoad(
        {
          kind: 'messages-distinct',
          baseUrl: service.baseUrl,
          connections: clients,
          amount: memoryProjects,
          // Only bounds the wait: the load ends after `amount` requests.
          durationSec: Math.max(60, memoryProjects / 200),
          maxPerConnection: memoryProjects,
          project: prefix,
          authorization: await service.loadAuthorizations({
            kind: 'messages-distinct',
            project: prefix,
            connections: clients,
          }),
        },
        0,
      );
      if (load.ok === 0)
        return [skipped('memory', 'memory', what, noSuccessReason(load.statusCodes, load.errors))];
      const gc = gcExtra(metricsBefore, await readServiceMetrics(service.baseUrl), load.ok);
      await delay(SETTLE_MS);
      const after = await rssMb(service.pid);
      const peak = await rssMb(service.pid, 'VmHWM');
      // Each write must have made one conversation of the run's projects.
      const { streams } = await conversationsStartingWith(service.databaseUrl, `${prefix}-`);
      const ok = streams === memoryProjects && load.ok === memoryProjects;
      return [
        {
          id: 'memory',
          name: `memory (${memoryProjects.toLocaleString('en-US')} projects)`,
          what,
          mb: after,
          extra: {
            ...failureExtra(load, service),
            rssBeforeMb: Number(before.toFixed(1)),
            rssPeakMb: Number(peak.toFixed(1)),
            projects: streams,
            writesPerSec: Math.round(load.rate),
            writeP99Ms: Number(load.p99Ms.toFixed(1)),
            ...gc,
          },
          check: {
            ok,
            detail: ok
              ? `ok: ${streams} projects written`
              : `FAILED: ${load.ok} acknowledged, ${streams} streams of ${memoryProjects}`,
          },
        },
      ];
    } finally {
      await service.stop();
    }
  },
};
