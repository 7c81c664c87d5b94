import { type ChildProcess, spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import path from 'node:path';
import { waitForHttp } from './http.js';
import { freePort, ROOT, stopChild, tail, track } from './processes.js';
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

/** BENCH_SERVICE_MAIN benches another build of the service (or a stand-in while it is written). */
const MAIN = path.resolve(ROOT, process.env.BENCH_SERVICE_MAIN ?? path.join('dist', 'src', 'main.js'));
const START_TIMEOUT_MS = 60_000;

/**
 * Starts the real service (`node dist/src/main.js`) on a fresh database (or `databaseUrl`, one
 * prepared before) and a free port, as a child process. Returns the reason instead when it is
 * not built or does not come up.
 */
export async function startService(
  context: BenchContext,
  name: string,
  options: { databaseUrl?: string } = {},
): Promise<RunningService | string> {
  if (!existsSync(MAIN)) return `skipped: service not available (${path.relative(ROOT, MAIN)} is not built)`;
  const databaseUrl = options.databaseUrl ?? (await context.database(name));
  const port = await freePort();
  const env: NodeJS.ProcessEnv = {
    ...process.env,
    DATABASE_URL: databaseUrl,
    PORT: String(port),
    HOST: '127.0.0.1',
    LOG_LEVEL: 'warn',
    AUTH_DISABLED: 'true',
  };
  // Authentication would turn every request into a 401; the bench measures the open service.
  delete env.AUTH_JWT_SECRET;
  delete env.AUTH_JWKS_URL;
  const child: ChildProcess = track(
    spawn(process.execPath, [MAIN], { cwd: ROOT, env, stdio: ['ignore', 'pipe', 'pipe'] }),
  );
  const output = tail(child);
  const exited = (): boolean => child.exitCode !== null || child.signalCode !== null;
  const baseUrl = `http://127.0.0.1:${port}`;

  const up = await waitForHttp(`${baseUrl}/health/live`, START_TIMEOUT_MS, exited);
  if (!up) {
    await stopChild(child);
    const why = exited()
      ? `exited with ${child.exitCode ?? child.signalCode}`
      : `no answer in ${START_TIMEOUT_MS} ms`;
    const last = output().split('\n').slice(-3).join(' | ');
    return `skipped: service not available (${why}${last ? `: ${last}` : ''})`;
  }
  context.log(`service up on ${baseUrl} (${name})`);
  return {
    baseUrl,
    databaseUrl,
    pid: child.pid ?? 0,
    died: () =>
      exited()
        ? `exited (${child.exitCode ?? child.signalCode}): ${output().split('\n').slice(-3).join(' | ')}`
        : undefined,
    lastOutput: () => output().split('\n').slice(-3).join(' | '),
    stop: () => stopChild(child, 10_000),
  };
}

/** The HTTP scenarios report a service that answers no 2xx at all as skipped, not as measured. */
export function noSuccessReason(statusCodes: Record<string, number>, errors: number): string {
  const codes = Object.entries(statusCodes)
    .map(([code, count]) => `${code}×${count}`)
    .join(', ');
  return `skipped: service answered no 2xx (${codes || 'no responses'}${errors ? `, ${errors} errors` : ''})`;
}
