import type pg from 'pg';
import { PROJECTED_CHANNEL } from '../../projections/projector/generations.js';
import type { PacedAck, PacedJob, PacedSummary } from '../load/paced.js';
import { delay, monotonicMs, runChildJob } from '../support/processes.js';
import { newClient } from '../support/postgres.js';
import { lagsAfterAck, percentile } from '../support/stats.js';
import { type Bench, type BenchResult, skipped } from '../support/types.js';
import { startService } from '../support/service.js';

/**
 * Unmeasured paced load first, at least this long whatever --warmup says: each project written a
 * few times and the service warm, else the figure is the service's start-up, not steady state.
 */
const MIN_WARMUP_SEC = 2;
/** After the last command, how long an acknowledged change may take to show before it counts as lost. */
const SETTLE_MS = 5_000;

/**
 * When each (project, revision) became visible in the read model, from one LISTEN connection:
 * nothing is polled, so observing adds no load. A "*" (payload too long, or a switch-over) is
 * resolved by reading rm_projects once, timed after that read.
 */
class Visibility {
  /** Per project, (revision, monotonicMs) in arrival order. */
  private readonly seen = new Map<string, [number, number][]>();
  stars = 0;

  constructor(
    private readonly client: pg.Client,
    private readonly prefix: string,
  ) {}

  async listen(): Promise<void> {
    this.client.on('notification', (message) => this.notified(message.payload ?? ''));
    await this.client.query(`LISTEN ${PROJECTED_CHANNEL}`);
  }

  visibleAt(project: string, revision: number): number | undefined {
    return this.seen.get(project)?.find(([seenRevision]) => seenRevision >= revision)?.[1];
  }

  private notified(payload: string): void {
    const at = monotonicMs();
    if (payload === '*') {
      this.stars++;
      void this.client
        .query<{ project_id: string; revision: string }>(
          'SELECT project_id, revision FROM rm_projects WHERE starts_with(project_id, $1)',
          [this.prefix],
        )
        .then(
          ({ rows }) => {
            const read = monotonicMs();
            for (const row of rows) this.record(row.project_id, Number(row.revision), read);
          },
          () => undefined,
        );
      return;
    }
    try {
      const revisions = JSON.parse(payload) as Record<string, number>;
      for (const [project, revision] of Object.entries(revisions)) this.record(project, revision, at);
    } catch {
      // not a payload of this projector
    }
  }

  private record(project: string, revision: number, at: number): void {
    if (!project.startsWith(this.prefix)) return;
    const list = this.seen.get(project) ?? [];
    list.push([revision, at]);
    this.seen.set(project, list);
  }
}

function runPaced(job: PacedJob): Promise<PacedSummary> {
  const limitMs = (job.warmupSec + job.durationSec) * 1000 + 45_000;
  return runChildJob<PacedSummary>('./load/paced.js', job, limitMs);
}

/** Waits until every acknowledged change is visible, or SETTLE_MS pass. */
async function settle(visibility: Visibility, acks: readonly PacedAck[]): Promise<void> {
  const deadline = performance.now() + SETTLE_MS;
  while (performance.now() < deadline && acks.some((ack) => !visibility.visibleAt(ack.project, ack.revision)))
    await delay(50);
}

export const lag: Bench = {
  name: 'lag',
  async run(context): Promise<BenchResult[]> {
    const { lagRate, lagProjects, durationSec } = context.options;
    const warmupSec = Math.max(context.options.warmupSec, MIN_WARMUP_SEC);
    const what = `${lagRate} POST /messages per s, paced open loop over HTTP (child process), ${lagProjects} projects; time from each 201 to its revision in the read model (LISTEN ${PROJECTED_CHANNEL})`;
    const service = await startService(context, 'lag');
    if (typeof service === 'string') return [skipped('lag', 'lag', what, service)];
    const client = newClient(service.databaseUrl);
    try {
      await client.connect();
      const prefix = `lag-${Date.now().toString(36)}`;
      const visibility = new Visibility(client, prefix);
      await visibility.listen();
      const job = {
        baseUrl: service.baseUrl,
        rate: lagRate,
        warmupSec,
        durationSec,
        project: prefix,
        projects: lagProjects,
        authorization: service.authorization,
      };
      const load = await runPaced(job);
      await settle(visibility, load.acks);

      const {
        lags,
        beforeAck,
        unseen: invisible,
      } = lagsAfterAck(load.acks, (ack) => visibility.visibleAt(ack.project, ack.revision));
      const failures = Object.entries(load.statuses).filter(([status]) => status !== '201');
      const ok = load.acks.length > 0 && invisible === 0 && failures.length === 0 && load.errors === 0;
      const extra: BenchResult['extra'] = {
        commands: load.acks.length,
        maxMs: Number((lags.length ? Math.max(...lags) : 0).toFixed(1)),
        visibleBefore201: beforeAck,
        commandP50Ms: Number((load.p50Ms ?? 0).toFixed(2)),
        commandP99Ms: Number((load.p99Ms ?? 0).toFixed(2)),
        maxSlipMs: Number(load.maxSlipMs.toFixed(1)),
        warmupSec,
      };
      if (invisible > 0) extra.notVisibleAfter5s = invisible;
      if (visibility.stars > 0) extra.starNotifications = visibility.stars;
      if (failures.length > 0) extra.statuses = failures.map(([code, count]) => `${code}×${count}`).join(' ');
      if (load.errors > 0) extra.errors = `${load.errors} (${load.firstError ?? ''})`;
      const died = service.died();
      if (died) extra.serviceDied = died;
      return [
        {
          id: 'lag',
          name: `lag @ ${lagRate}/s`,
          what,
          unit: 'acks/s',
          rate: load.acks.length / durationSec,
          p50Ms: percentile(lags, 50),
          p99Ms: percentile(lags, 99),
          extra,
          check: {
            ok,
            detail: ok
              ? 'ok: every acknowledged change became visible'
              : `FAILED: ${invisible} not visible, ${failures.length} statuses, ${load.errors} errors`,
          },
        },
      ];
    } finally {
      await client.end().catch(() => undefined);
      await service.stop();
    }
  },
};
