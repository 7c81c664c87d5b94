import { secretToken, TEST_SECRET } from '../../test/support/tokens.js';
import { type LoadKind, type LoadSummary, runLoad } from '../load/client.js';
import { type Bench, type BenchContext, type BenchResult, skipped } from '../support/types.js';
import { noSuccessReason, type RunningService, startService } from '../support/service.js';

interface HttpScenario {
  id: string;
  kind: LoadKind;
  unit: string;
  what: (connections: number) => string;
  /** Authentication on (HS256), each connection with a token of its own. */
  auth?: boolean;
}

/**
 * One token per connection, for its own project and the one it warms up on (see runLoad), as
 * distinct clients would hold.
 */
function tokensFor(project: string, connections: number): Promise<string[]> {
  return Promise.all(
    Array.from({ length: connections }, async (_, client) => {
      const projects = [`${project}-${client}`, `${project}-warmup-${client}`];
      return `Bearer ${await secretToken({ sub: `bench-client-${client}`, projects })}`;
    }),
  );
}

/** Runs one autocannon load against a freshly started service; one project per connection. */
async function measure(context: BenchContext, scenario: HttpScenario): Promise<BenchResult> {
  const { connections, durationSec } = context.options;
  const what = scenario.what(connections);
  const env: Record<string, string> = scenario.auth ? { AUTH_JWT_SECRET: TEST_SECRET } : {};
  const service = await startService(context, scenario.id, { env });
  if (typeof service === 'string') return skipped(scenario.id, scenario.id, what, service);
  const project = `${scenario.id}-${Date.now().toString(36)}`;
  try {
    const load = await runLoad(
      {
        kind: scenario.kind,
        baseUrl: service.baseUrl,
        connections,
        durationSec,
        maxPerConnection: Math.ceil((20_000 * durationSec) / connections),
        project,
        ...(scenario.auth ? { authorization: await tokensFor(project, connections) } : {}),
      },
      context.options.warmupSec,
    );
    if (load.ok === 0)
      return skipped(scenario.id, scenario.id, what, noSuccessReason(load.statusCodes, load.errors));
    return {
      id: scenario.id,
      name: `${scenario.id} (HTTP) ×${connections}`,
      what,
      unit: scenario.unit,
      rate: load.rate,
      p50Ms: load.p50Ms,
      p99Ms: load.p99Ms,
      extra: failureExtra(load, service),
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

/** append-many with authentication on: what verifying a token on every request costs. */
export const appendManyAuth = httpBench({
  id: 'append-many-auth',
  kind: 'messages-many',
  unit: 'appends/s',
  auth: true,
  what: (n) =>
    `append-many with AUTH_JWT_SECRET set: an HS256 bearer token on every request, one per connection (${n})`,
});

export const turns = httpBench({
  id: 'turns',
  kind: 'turns',
  unit: 'turns/s',
  what: (n) => `POST /v1/projects/{p}/turns {"user":{"content":"hi"}}, ${n} connections, one project each`,
});
