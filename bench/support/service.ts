import { existsSync } from 'node:fs';
import { writeFile } from 'node:fs/promises';
import path from 'node:path';
import { spawnService } from '../../test/support/service.js';
import { monotonicMs, ROOT, stopChild, tail, track } from './processes.js';
import type { BenchContext } from './types.js';

export interface RunningService {
  baseUrl: string;
  databaseUrl: string;
  /** The service process, for its RSS (/proc/<pid>/status). */
  pid: number;
  /** Why the service is gone, with its last output; undefined while it runs. */
  died(): string | undefined;
  /** The last lines it logged (warnings and errors: it runs with LOG_LEVEL=warn). */
  lastOutput(): string;
  stop(): Promise<void>;
}

/** Names the file, beside a profiled service's CPU profile, that holds the span of its load. */
export const WINDOW_SUFFIX = '.window.json';

/** BENCH_SERVICE_MAIN benches another build of the service. */
const MAIN = path.resolve(ROOT, process.env.BENCH_SERVICE_MAIN ?? path.join('dist', 'src', 'main.js'));
const START_TIMEOUT_MS = 60_000;
/** A profiled service writes its profile as it exits: it must exit by itself, not be killed. */
const STOP_GRACE_MS = { plain: 10_000, profiled: 60_000 };

/**
 * Starts the real service (`node dist/src/main.js`) on a fresh database (or `databaseUrl`, one
 * prepared before) and a free port, as a child process, with `env` added to its environment. Returns the reason instead when it is
 * not built or does not come up.
 */
export async function startService(
  context: BenchContext,
  name: string,
  options: { databaseUrl?: string; env?: Record<string, string> } = {},
): Promise<RunningService | string> {
  if (!existsSync(MAIN)) return `skipped: service not available (${path.relative(ROOT, MAIN)} is not built)`;
  const databaseUrl = options.databaseUrl ?? (await context.database(name));
  let output = (): string => '';
  let service;
  try {
    service = await spawnService({
      env: { ...options.env, DATABASE_URL: databaseUrl },
      main: MAIN,
      cwd: ROOT,
      execArgv: context.cpuProfileDir ? ['--cpu-prof', '--cpu-prof-dir', context.cpuProfileDir] : [],
      startTimeoutMs: START_TIMEOUT_MS,
      // Tracked from the start, so that a failure or Ctrl-C while it starts still stops it.
      onSpawn: (child) => (output = tail(track(child))),
    });
  } catch (error) {
    const [why = '', ...printed] = (error as Error).message.split('\n');
    const last = printed.filter(Boolean).slice(-3).join(' | ');
    return `skipped: service not available (${why}${last ? `: ${last}` : ''})`;
  }
  const child = service.child;
  const profiled = context.cpuProfileDir
    ? profiledSpan(context.cpuProfileDir, child.pid ?? 0)
    : { end: async () => undefined };
  const exited = (): boolean => child.exitCode !== null || child.signalCode !== null;
  context.log(`service up on ${service.baseUrl} (${name})`);
  return {
    baseUrl: service.baseUrl,
    databaseUrl,
    pid: child.pid ?? 0,
    died: () =>
      exited()
        ? `exited (${child.exitCode ?? child.signalCode}): ${output().split('\n').slice(-3).join(' | ')}`
        : undefined,
    lastOutput: () => output().split('\n').slice(-3).join(' | '),
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
