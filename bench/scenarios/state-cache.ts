import type { StateCacheJob, StateCacheReport } from '../load/state-cache-probe.js';
import { runChildJob } from '../support/processes.js';
import type { Bench, BenchResult } from '../support/types.js';

/** Messages per project of the two figures: a new conversation, and one that has gone on a while. */
const MESSAGES = [1, 10] as const;
const PROBE_FLAGS = ['--expose-gc', '--max-old-space-size=4096'];

/**
 * Bytes of heap per cached project: the decision state the command path keeps for each
 * conversation after 1 and after 10 messages, built through the real handler and processor in
 * a process of its own (bench/load/state-cache-probe.ts). Informational: no target.
 */
export const stateCache: Bench = {
  name: 'state-cache',
  async run(context): Promise<BenchResult[]> {
    const results: BenchResult[] = [];
    for (const messagesPerProject of MESSAGES) {
      // As many messages for each figure: a heap of ten messages for every one of 100,000 projects
      // takes minutes to build on a small machine and says no more than a tenth of them.
      const projects = Math.max(1, Math.round(context.options.cacheProjects / messagesPerProject));
      const job: StateCacheJob = { projects, messagesPerProject };
      const report = await runChildJob<StateCacheReport>(
        './load/state-cache-probe.js',
        job,
        600_000,
        PROBE_FLAGS,
      );
      results.push(result(job, report));
    }
    return results;
  },
};

function result(job: StateCacheJob, report: StateCacheReport): BenchResult {
  const { projects, messagesPerProject } = job;
  const cachedAll = report.reads === projects && report.readsAfterTouch === projects;
  const detail = cachedAll
    ? `ok: all ${projects} projects stayed cached`
    : `FAILED: ${report.reads} stream reads while building, ${report.readsAfterTouch} after touching each again (cached: ${projects})`;
  return {
    id: `state-cache-${messagesPerProject}`,
    name: `state cache: one project after ${messagesPerProject} message${messagesPerProject === 1 ? '' : 's'}`,
    what: `heapUsed growth (after gc()) / ${projects} projects whose decision state the command handler and processor built, ${messagesPerProject} POST /messages each, into a store that keeps nothing`,
    bytes: Math.round((report.heapAfterBytes - report.heapBeforeBytes) / projects),
    unit: 'bytes/project',
    extra: {
      heapGrowthMb: Number(((report.heapAfterBytes - report.heapBeforeBytes) / 1024 / 1024).toFixed(1)),
      buildMs: Math.round(report.buildMs),
      // No target reads this check: the table must show it.
      ...(cachedAll ? {} : { check: detail }),
    },
    check: { ok: cachedAll, detail },
  };
}
