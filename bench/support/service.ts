import { existsSync } from 'node:fs';
import { writeFile } from 'node:fs/promises';
import path from 'node:path';
import { spawnService } from '../../test/support/service.js';
import { TEST_SECRET } from '../../test/support/tokens.js';
import type { LoadJob } from '../load/client.js';
import { lastLines, monotonicMs, OUTPUT_TAIL_CHARS, ROOT, stopChild, track } from './processes.js';
import { benchAuthorization, connectionAuthorizations } from './tokens.js';
import type { BenchContext } from './types.js';

export interface RunningService {
  baseUrl: string;
  databaseUrl: string;
  /** The service process, for its RSS (/proc/<pid>/status). */
  pid: number;
  /**
   * `Bearer <token>` for the bench's own requests (every project, the admin scope); undefined
   * when the service runs without authentication.
   */
  authorization: string | undefined;
  /** A token per connection of a load (see connectionAuthorizations); undefined without authentication. */
  loadAuthorizations(job: Pick<LoadJob, 'kind' | 'project' | 'connections'>): Promise<string[] | undefined>;
  /** Why the service is gone, with its last output; undefined while it runs. */
  died(): string | undefined;
  /** The last lines it logged (it logs every request: mostly those). */
  lastOutput(): string;
  stop(): Promise<void>;
}

/** What the read loads and checks talk to: the service, or a baseline server that reads no token. */
export type HttpTarget = Pick<RunningService, 'baseUrl'> &
  Partial<Pick<RunningService, 'authorization' | 'loadAuthorizations'>>;

/**
 * How production runs the service: authentication on (HS256), a log line per request, metrics on
 * (always served). The one exception: production's default rate limit per client
 * (RATE_LIMIT_COMMANDS) would throttle the bench's few clients, each sending thousands of commands a
 * second; it is off.
 */
export const PRODUCTION_ENV: Readonly<Record<string, string>> = {
  NODE_ENV: 'production',
  AUTH_JWT_SECRET: TEST_SECRET,
  LOG_LEVEL: 'info',
  RATE_LIMIT_COMMANDS: '0',
};

/** On top of PRODUCTION_ENV: authentication off, which production accepts only when told so. */
export const AUTH_OFF_ENV: Readonly<Record<string, string | undefined>> = {
  AUTH_JWT_SECRET: undefined,
  AUTH_DISABLED: 'true',
};

/** Names the file, beside a profiled service's CPU profile, that holds the span of its load. */
export const WINDOW_SUFFIX = '.window.json';

/** BENCH_SERVICE_MAIN benches another build of the service. */
const MAIN = path.resolve(ROOT, process.env.BENCH_SERVICE_MAIN ?? path.join('dist', 'src', 'main.js'));
const START_TIMEOUT_MS = 60_000;
/** A profiled service writes its profile as it exits: it must exit by itself, not be killed. */
const STOP_GRACE_MS = { plain: 10_000, profiled: 60_000 };

/**
 * Starts the real service (`node dist/src/main.js`) on a fresh database (or `databaseUrl`, one
 * prepared before) and a free port, as a child process, with PRODUCTION_ENV and then `env` added
 * to its environment (an undefined value removes a variable). Its output is read to the end (a
 * line per request) and only its tail kept. Returns the reason instead when it is not built or
 * does not come up.
 */
export async function startService(
  context: BenchContext,
  name: string,
  options: { databaseUrl?: string; env?: Readonly<Record<string, string | undefined>> } = {},
): Promise<RunningService | string> {
  if (!existsSync(MAIN)) return `skipped: service not available (${path.relative(ROOT, MAIN)} is not built)`;
  const databaseUrl = options.databaseUrl ?? (await context.database(name));
  const env: Record<string, string | undefined> = {
    ...PRODUCTION_ENV,
    ...options.env,
    DATABASE_URL: databaseUrl,
  };
  let service;
  try {
    service = await spawnService({
      env,
      main: MAIN,
      cwd: ROOT,
      execArgv: context.cpuProfileDir ? ['--cpu-prof', '--cpu-prof-dir', context.cpuProfileDir] : [],
      startTimeoutMs: START_TIMEOUT_MS,
      outputTailChars: OUTPUT_TAIL_CHARS,
      // Tracked from the start, so that a failure or Ctrl-C while it starts still stops it.
      onSpawn: track,
    });
  } catch (error) {
    const [why = '', ...printed] = (error as Error).message.split('\n');
    const last = printed.filter(Boolean).slice(-3).join(' | ');
    return `skipped: service not available (${why}${last ? `: ${last}` : ''})`;
  }
  const child = service.child;
  const output = (): string => lastLines(service.output(), 3, ' | ');
  const secret = env.AUTH_JWT_SECRET || undefined;
  const profiled = context.cpuProfileDir
    ? profiledSpan(context.cpuProfileDir, child.pid ?? 0)
    : { end: async () => undefined };
  const exited = (): boolean => child.exitCode !== null || child.signalCode !== null;
  context.log(`service up on ${service.baseUrl} (${name})`);
  return {
    baseUrl: service.baseUrl,
    databaseUrl,
    pid: child.pid ?? 0,
    authorization: secret === undefined ? undefined : await benchAuthorization(secret),
    loadAuthorizations: (job) =>
      secret === undefined ? Promise.resolve(undefined) : connectionAuthorizations(job, secret),
    died: () => (exited() ? `exited (${child.exitCode ?? child.signalCode}): ${output()}` : undefined),
    lastOutput: output,
    stop: async () => {
      await profiled.end();
      await stopChild(child, context.cpuProfileDir ? STOP_GRACE_MS.profiled : STOP_GRACE_MS.plain);
    },
  };
}

/**
 * The span from the service's being up to its being told to stop, written beside its profile
 * (`<pid>.window.json`): the summary leaves out start-up and shutdown.
 */
function profiledSpan(dir: string, pid: number): { end(): Promise<void> } {
  const fromUs = monotonicMs() * 1000;
  return {
    end: () =>
      writeFile(
        path.join(dir, `${pid}${WINDOW_SUFFIX}`),
        JSON.stringify({ fromUs, toUs: monotonicMs() * 1000 }),
      ),
  };
}

/** The HTTP scenarios report a service that answers no 2xx at all as skipped, not as measured. */
export function noSuccessReason(statusCodes: Record<string, number>, errors: number): string {
  const codes = Object.entries(statusCodes)
    .map(([code, count]) => `${code}×${count}`)
    .join(', ');
  return `skipped: service answered no 2xx (${codes || 'no responses'}${errors ? `, ${errors} errors` : ''})`;
}
