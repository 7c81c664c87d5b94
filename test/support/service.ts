import { type ChildProcess, spawn } from 'node:child_process';
import path from 'node:path';
import { appendTail } from './output-tail.js';
import { freePort } from './ports.js';

export interface RunningService {
  baseUrl: string;
  port: number;
  child: ChildProcess;
  output(): string;
  /** SIGTERM and wait for a clean exit. */
  stop(): Promise<void>;
  /** SIGKILL: a crash, with no shutdown code run. */
  kill(): Promise<void>;
}

export interface ServiceOptions {
  /** Added to this process's environment; an undefined value removes the variable. */
  env?: Record<string, string | undefined>;
  /** A free one when omitted. */
  port?: number;
  /** The built entry point: `dist/src/main.js` under `cwd`. */
  main?: string;
  cwd?: string;
  /** Node flags for the service process (e.g. `--cpu-prof`). */
  execArgv?: readonly string[];
  startTimeoutMs?: number;
  /** Called with the child as soon as it is spawned. */
  onSpawn?: (child: ChildProcess) => void;
  /**
   * Keep only the last this many characters of its output (still read to the end, so the child
   * never blocks on a full pipe). Unset: all of it, which tests slice by index.
   */
  outputTailChars?: number;
}

/**
 * The built service as a child process, once it answers `/health/live`: e2e tests and the bench
 * drive it over HTTP exactly as a client would. Throws, with what it printed, when it exits or
 * does not answer in time.
 */
export async function spawnService(options: ServiceOptions = {}): Promise<RunningService> {
  const cwd = options.cwd ?? process.cwd();
  const port = options.port ?? (await freePort());
  const startTimeoutMs = options.startTimeoutMs ?? 30_000;
  const child = spawn(
    process.execPath,
    [...(options.execArgv ?? []), options.main ?? path.resolve(cwd, 'dist/src/main.js')],
    {
      cwd,
      env: {
        ...process.env,
        NODE_OPTIONS: '',
        HOST: '127.0.0.1',
        PORT: String(port),
        LOG_LEVEL: 'warn',
        ...options.env,
      },
      stdio: ['ignore', 'pipe', 'pipe'],
    },
  );
  options.onSpawn?.(child);
  let output = '';
  const limit = options.outputTailChars;
  const keep =
    limit === undefined
      ? (chunk: Buffer) => (output += chunk.toString())
      : (chunk: Buffer) => (output = appendTail(output, chunk, limit));
  child.stdout?.on('data', keep);
  child.stderr?.on('data', keep);
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const baseUrl = `http://127.0.0.1:${port}`;

  const deadline = Date.now() + startTimeoutMs;
  for (;;) {
    if (child.exitCode !== null || child.signalCode !== null)
      throw new Error(`service exited with ${child.exitCode ?? child.signalCode}:\n${output}`);
    const ok = await fetch(`${baseUrl}/health/live`).then(
      (response) => response.ok,
      () => false,
    );
    if (ok) break;
    if (Date.now() > deadline) {
      child.kill('SIGKILL');
      await exited;
      throw new Error(`service did not start within ${startTimeoutMs / 1000} s:\n${output}`);
    }
    await new Promise((resolve) => setTimeout(resolve, 100));
  }

  const end = async (signal: NodeJS.Signals) => {
    if (child.exitCode === null && child.signalCode === null) child.kill(signal);
    await exited;
  };
  return {
    baseUrl,
    port,
    child,
    output: () => output,
    stop: () => end('SIGTERM'),
    kill: () => end('SIGKILL'),
  };
}

/** The service (`npm test` builds first) with these settings. */
export function startService(env: Record<string, string>, port?: number): Promise<RunningService> {
  return spawnService({ env, port });
}
