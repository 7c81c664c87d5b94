import { type LoadKind, type LoadSummary, runLoad } from '../load/client.js';
import { conversationsStartingWith } from '../support/postgres.js';
import { type Bench, type BenchContext, type BenchResult, skipped } from '../support/types.js';
import { AUTH_OFF_ENV, noSuccessReason, type RunningService, startService } from '../support/service.js';
import { gcExtra, readServiceMetrics, type ServiceMetrics } from '../support/service-metrics.js';

interface HttpScenario {
  id: string;
  kind: LoadKind;
  unit: string;
  what: (connections: number) => string;
  /** What must hold once the load is over, on the service's database (`project`: the load's prefix). */
  check?: (service: RunningService, project: string, load: LoadSummary) => Promise<BenchResult['check']>;
}

/**
 * A load of one kind against a running service: connection n on project `<project>-<n>`, with a
 * token of its own.
 */
export async function serviceLoad(
  kind: LoadKind,
  service: RunningService,
  project: string,
  connections: number,
  phase: { durationSec: number; warmupSec: number; beforeMeasured?: () => Promise<void> },
): Promise<LoadSummary> {
  return runLoad(
    {
      kind,
      baseUrl: service.baseUrl,
      connections,
      durationSec: phase.durationSec,
      maxPerConnection: Math.ceil((20_000 * phase.durationSec) / connections),
      project,
      authorization: await service.loadAuthorizations({ kind, project, connections }),
    },
    phase.warmupSec,
    phase.beforeMeasured,
  );
}

/** Runs one autocannon load against a freshly started service; one project per connection. */
async function measure(context: BenchContext, scenario: HttpScenario): Promise<BenchResult> {
  const { connections, durationSec } = context.options;
  const what = scenario.what(connections);
  const service = await startService(context, scenario.id);
  if (typeof service === 'string') return skipped(scenario.id, scenario.id, what, service);
  const project = `${scenario.id}-${Date.now().toString(36)}`;
  try {
    let before: ServiceMetrics | undefined;
    const load = await serviceLoad(scenario.kind, service, project, connections, {
      durationSec,
      warmupSec: context.options.warmupSec,
      beforeMeasured: async () => void (before = await readServiceMetrics(service.baseUrl)),
    });
    if (load.ok === 0)
      return skipped(scenario.id, scenario.id, what, noSuccessReason(load.statusCodes, load.errors));
    const gc = before ? gcExtra(before, await readServiceMetrics(service.baseUrl), load.ok) : {};
    const check = await scenario.check?.(service, project, load);
    return {
      id: scenario.id,
      name: `${scenario.id} (HTTP) ×${connections}`,
      what,
      unit: scenario.unit,
      rate: load.rate,
      p50Ms: load.p50Ms,
      p99Ms: load.p99Ms,
      extra: { ...failureExtra(load, service), ...gc },
      ...(check && { check }),
    };
  } finally {
    await service.stop();
  }
}

/** Status codes and connection errors; and, when the service crashed under the load, why. */
export function failureExtra(load: LoadSummary, service: RunningService): BenchResult['extra'] {
  const extra: BenchResult['extra'] = { ok: load.ok, non2xx: load.non2xx, errors: load.errors };
  const died = service.died();
  if (died) extra.serviceDied = died;
  if (load.timeouts > 0) extra.timeouts = load.timeouts;
  const failures = Object.entries(load.statusCodes).filter(([code]) => !code.startsWith('2'));
  if (failures.length > 0) extra.statuses = failures.map(([code, count]) => `${code}×${count}`).join(' ');
  return extra;
}

/** A bench of one HTTP scenario, named by its id. */
function httpBench(scenario: HttpScenario): Bench {
  return { name: scenario.id, run: async (context) => [await measure(context, scenario)] };
}

export const appendMany = httpBench({
  id: 'append-many',
  kind: 'messages-many',
  unit: 'appends/s',
  what: (n) =>
    `POST /v1/projects/{p}/messages, autocannon (child process), ${n} connections, one project each`,
});

/**
 * The command path without the append: append-many's requests, each a retry of the one message
 * its connection already posted, answered 200 from the conversation's decision state once the
 * stream's tail has been read (nothing to append means no expected-revision check, so a retry is
 * confirmed against the store: another instance may have appended). The same authentication,
 * parsing, validation, command handling, answer, log line and metrics as an append, with one
 * indexed read where an append has its share of a grouped append and of the projection; beside
 * http-raw-insert it shows what the storage costs.
 */
export const appendRetry = httpBench({
  id: 'append-retry',
  kind: 'messages-retry',
  unit: 'retries/s',
  what: (n) =>
    `POST /v1/projects/{p}/messages of one message again and again (200, a retry: the stream's tail read, nothing appended), ${n} connections, one project each`,
  check: async (service, project, load) => {
    // The measured projects and the warm-up ones.
    const { streams, events } = await conversationsStartingWith(service.databaseUrl, `${project}-`);
    const retries = load.statusCodes['200'] ?? 0;
    // Each connection's first request of the measured load may be the 201 that stored its message.
    const ok = streams > 0 && events === streams && load.ok - retries <= streams && load.non2xx === 0;
    return {
      ok,
      detail: `${ok ? 'ok' : 'FAILED'}: ${retries} retries answered 200; ${streams} projects hold ${events} events (one each expected)`,
    };
  },
});

/** Rounds of the authentication comparison, in the order off, on, on, off, ... (drift cancels out). */
const AUTH_ROUNDS = 6;

/**
 * append-many with authentication on, against the same load with it off, measured as a pair: two
 * services run side by side and take the load in alternating rounds, so that what the machine
 * does meanwhile (other processes, the database growing) weighs on both alike. Two separate
 * phases minutes apart differed by more than 10% with nothing changed.
 */
export const appendManyAuth: Bench = {
  name: 'append-many-auth',
  async run(context): Promise<BenchResult[]> {
    const { connections, durationSec } = context.options;
    const roundSec = Math.max(1, durationSec / 2);
    const what = {
      on: `append-many with AUTH_JWT_SECRET set: an HS256 bearer token on every request, one per connection (${connections}); ${AUTH_ROUNDS} rounds of ${roundSec} s alternating with the same load without auth`,
      off: `append-many without auth (AUTH_DISABLED=true), in the rounds alternating with append-many-auth (the pair's baseline)`,
    };
    const off = await startService(context, 'append-many-paired', { env: AUTH_OFF_ENV });
    if (typeof off === 'string') return [skipped('append-many-auth', 'append-many-auth', what.on, off)];
    const on = await startService(context, 'append-many-auth');
    if (typeof on === 'string') {
      await off.stop();
      return [skipped('append-many-auth', 'append-many-auth', what.on, on)];
    }
    const project = `append-many-auth-${Date.now().toString(36)}`;
    try {
      const services = { on, off };
      const load = (variant: 'off' | 'on', seconds: number) =>
        serviceLoad('messages-many', services[variant], `${project}-${variant}`, connections, {
          durationSec: seconds,
          warmupSec: 0,
        });
      // Both warmed up before the first measured round, so that neither pays for it in the pair.
      if (context.options.warmupSec > 0)
        for (const variant of ['off', 'on'] as const) await load(variant, context.options.warmupSec);
      const loads = { off: [] as LoadSummary[], on: [] as LoadSummary[] };
      for (let round = 0; round < AUTH_ROUNDS; round++) {
        const order = round % 2 === 0 ? (['off', 'on'] as const) : (['on', 'off'] as const);
        for (const variant of order) loads[variant].push(await load(variant, roundSec));
      }
      return [
        pairedResult('append-many-paired', what.off, loads.off, off, connections),
        pairedResult('append-many-auth', what.on, loads.on, on, connections),
      ];
    } finally {
      await Promise.all([off.stop(), on.stop()]);
    }
  },
};

/** One side of the pair: its mean rate over the rounds, the median of their latencies. */
function pairedResult(
  id: string,
  what: string,
  loads: readonly LoadSummary[],
  service: RunningService,
  connections: number,
): BenchResult {
  const total = loads.reduce<LoadSummary>(
    (sum, load) => ({
      ...sum,
      ok: sum.ok + load.ok,
      non2xx: sum.non2xx + load.non2xx,
      errors: sum.errors + load.errors,
      timeouts: sum.timeouts + load.timeouts,
    }),
    { ...loads[0]!, ok: 0, non2xx: 0, errors: 0, timeouts: 0 },
  );
  return {
    id,
    name: `${id} (HTTP) ×${connections}`,
    what,
    unit: 'appends/s',
    rate: loads.reduce((sum, load) => sum + load.rate, 0) / loads.length,
    p50Ms: median(loads.map((load) => load.p50Ms)),
    p99Ms: median(loads.map((load) => load.p99Ms)),
    extra: { ...failureExtra(total, service), rounds: loads.map((load) => Math.round(load.rate)).join(' ') },
  };
}

function median(values: readonly number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const middle = Math.floor(sorted.length / 2);
  return sorted.length % 2 === 1 ? sorted[middle]! : (sorted[middle - 1]! + sorted[middle]!) / 2;
}

export const turns = httpBench({
  id: 'turns',
  kind: 'turns',
  unit: 'turns/s',
  what: (n) => `POST /v1/projects/{p}/turns {"user":{"content":"hi"}}, ${n} connections, one project each`,
});
