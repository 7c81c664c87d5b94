import { fork } from 'node:child_process';
import { benchFile, stopChild, tail, track } from './processes.js';

/** A baseline's HTTP server, forked (see serveBaseline): where to send the load, and how to stop it. */
export interface BaselineServer {
  baseUrl: string;
  stop(): Promise<void>;
}

/**
 * Forks a baseline server (a compiled bench file) on `databaseUrl` with a pg pool of `poolSize`;
 * resolves once it listens, rejects with what it printed when it exits first.
 */
export async function forkBaselineServer(
  file: string,
  databaseUrl: string,
  poolSize: number,
): Promise<BaselineServer> {
  const child = track(
    fork(benchFile(file), [], {
      env: { ...process.env, DATABASE_URL: databaseUrl, POOL_SIZE: String(poolSize) },
      stdio: ['ignore', 'pipe', 'pipe', 'ipc'],
    }),
  );
  const output = tail(child);
  try {
    const port = await new Promise<number>((resolve, reject) => {
      child.once('message', (message) => resolve((message as { port: number }).port));
      child.once('exit', (code) => reject(new Error(`${file} exited (${code}): ${output()}`)));
    });
    return { baseUrl: `http://127.0.0.1:${port}`, stop: () => stopChild(child) };
  } catch (error) {
    await stopChild(child);
    throw error;
  }
}
