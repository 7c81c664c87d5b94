import { type ChildProcess, fork } from 'node:child_process';
import { readFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import { appendTail } from '../../test/support/output-tail.js';

/** The package root, from dist/bench/support/processes.js. */
export const ROOT = fileURLToPath(new URL('../../..', import.meta.url));

/** A compiled bench file (relative to dist/bench), as a path the child process can run. */
export function benchFile(relative: string): string {
  return fileURLToPath(new URL(relative, new URL('../', import.meta.url)));
}

const children = new Set<ChildProcess>();
// Whatever ends this process, no child outlives it.
process.once('exit', () => children.forEach((child) => child.kill('SIGTERM')));

/** Every child is registered so that a failure or Ctrl-C still stops it. */
export function track(child: ChildProcess): ChildProcess {
  children.add(child);
  child.once('exit', () => children.delete(child));
  return child;
}

export async function stopChild(child: ChildProcess, graceMs = 5_000): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  child.kill('SIGTERM');
  const timer = setTimeout(() => child.kill('SIGKILL'), graceMs);
  await exited;
  clearTimeout(timer);
}

export async function stopAllChildren(): Promise<void> {
  await Promise.all([...children].map((child) => stopChild(child)));
}

/** What is kept of a child's output to explain a failure: enough for its last lines. */
export const OUTPUT_TAIL_CHARS = 16_384;

/**
 * Keeps the end of what a child writes, to explain why it failed. The pipes are read to the end
 * and only a bounded tail is kept: the lines are found when asked for, not for every chunk.
 */
export function tail(child: ChildProcess, lines = 20): () => string {
  let kept = '';
  const keep = (chunk: Buffer): void => void (kept = appendTail(kept, chunk, OUTPUT_TAIL_CHARS));
  child.stdout?.on('data', keep);
  child.stderr?.on('data', keep);
  return () => lastLines(kept, lines);
}

/** The last `count` non-empty lines of `text`, without the colours of Nest's logger. */
export function lastLines(text: string, count: number, separator = '\n'): string {
  // eslint-disable-next-line no-control-regex -- strips the colours of Nest's logger
  const plain = text.replace(/\u001b\[[0-9;]*m/g, '');
  return plain.split('\n').filter(Boolean).slice(-count).join(separator);
}

export function delay(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/**
 * Resident set size of a process in MB, from /proc/<pid>/status (Linux): VmRSS now, or VmHWM,
 * the most it ever had.
 */
export async function rssMb(pid: number, field: 'VmRSS' | 'VmHWM' = 'VmRSS'): Promise<number> {
  const status = await readFile(`/proc/${pid}/status`, 'utf8');
  const match = new RegExp(`^${field}:\\s+(\\d+)\\s+kB$`, 'm').exec(status);
  if (!match) throw new Error(`no ${field} in /proc/${pid}/status`);
  return Number(match[1]) / 1024;
}

/** Milliseconds on the machine's monotonic clock: comparable between processes of one machine. */
export function monotonicMs(): number {
  return Number(process.hrtime.bigint()) / 1e6;
}

/**
 * Runs a load generator (a compiled bench file) as its own process, with `nodeFlags` added to
 * this process's: sends it `job`, resolves with the one summary it answers, and stops it; rejects
 * when it exits first or takes over `limitMs`.
 */
export async function runChildJob<Summary>(
  file: string,
  job: unknown,
  limitMs: number,
  nodeFlags: readonly string[] = [],
): Promise<Summary> {
  const child = track(
    fork(benchFile(file), [], {
      execArgv: [...process.execArgv, ...nodeFlags],
      stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
    }),
  );
  try {
    return await new Promise<Summary>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`${file} exceeded ${limitMs} ms`)), limitMs);
      child.once('message', (summary) => {
        clearTimeout(timer);
        resolve(summary as Summary);
      });
      child.once('exit', (code, signal) => {
        clearTimeout(timer);
        reject(new Error(`${file} exited (${signal ?? code}) before reporting`));
      });
      child.send(job as object);
    });
  } finally {
    await stopChild(child);
  }
}

/**
 * The child's side of runChildJob: takes the one job the parent sends, answers what `run`
 * resolves with, and exits; exits too when the parent goes away (stop loading its service).
 */
export function answerOneJob<Job>(label: string, run: (job: Job) => Promise<unknown>): void {
  process.once('message', (job: Job) => {
    run(job).then(
      (summary) => process.send?.(summary as object, () => process.exit(0)),
      (error: unknown) => {
        console.error(`${label} failed:`, error);
        process.exit(1);
      },
    );
  });
  process.once('disconnect', () => process.exit(1));
}
