import { mkdir, readdir, readFile, rename, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { type CpuProfile, profileMarkdown, summarizeProfile, type Window } from './cpu-profile.js';
import { delay, ROOT } from './processes.js';
import { baselinesOf } from './report.js';
import type { Bench } from './types.js';
import { UsageError } from './options.js';
import { WINDOW_SUFFIX } from './service.js';

/** `--profile`: where the bench keeps its output. */
const RESULTS_DIR = path.join(ROOT, 'bench', 'results');
/** Node writes the profile as the service exits; a large one takes a moment. */
const PROFILE_WAIT_MS = 10_000;

/**
 * The scenario to profile and the benches its targets' ratios need, in the run's order. A result
 * id names its bench, or starts with the bench's name (`emmett-32` comes from `emmett`).
 */
export function profileSelection(benches: readonly Bench[], scenario: string): Bench[] {
  if (!benches.some((bench) => bench.name === scenario))
    throw new UsageError(`--profile: unknown scenario ${scenario}`);
  const benchOf = (id: string): string | undefined =>
    benches
      .map((bench) => bench.name)
      .filter((name) => id === name || id.startsWith(`${name}-`))
      .sort((a, b) => b.length - a.length)[0];
  const needed = new Set([scenario, ...baselinesOf(scenario).flatMap((id) => benchOf(id) ?? [])]);
  return benches.filter((bench) => needed.has(bench.name));
}

/** A fresh directory the profiled services write into. */
export async function profileDir(scenario: string): Promise<string> {
  const dir = path.join(RESULTS_DIR, `.profile-${scenario}-${process.pid}`);
  await mkdir(dir, { recursive: true });
  return dir;
}

/**
 * Moves each profile the scenario's services wrote to bench/results/profile-<scenario>[-n].cpuprofile,
 * writes its summary beside it (.md) and returns the summaries.
 */
export async function keepProfiles(dir: string, scenario: string): Promise<string> {
  const files = await waitForProfiles(dir);
  const summaries: string[] = [];
  for (const [index, file] of files.entries()) {
    const name = `profile-${scenario}${files.length > 1 ? `-${index + 1}` : ''}`;
    const target = path.join(RESULTS_DIR, `${name}.cpuprofile`);
    await rename(path.join(dir, file), target);
    const profile = JSON.parse(await readFile(target, 'utf8')) as CpuProfile;
    const window = await windowOf(dir, file);
    const summary = profileMarkdown(name, summarizeProfile(profile, ROOT, { window }));
    await writeFile(path.join(RESULTS_DIR, `${name}.md`), summary);
    summaries.push(`${summary}\n(${path.relative(ROOT, target)})\n`);
  }
  await rm(dir, { recursive: true, force: true });
  if (files.length === 0) throw new Error(`--profile ${scenario}: no service wrote a CPU profile`);
  return summaries.join('\n');
}

/** The span its service was up for (Node names a profile CPU.<date>.<time>.<pid>.<thread>.<n>). */
async function windowOf(dir: string, profileFile: string): Promise<Window | undefined> {
  const pid = /^CPU\.\d+\.\d+\.(\d+)\./.exec(profileFile)?.[1];
  if (pid === undefined) return undefined;
  return readFile(path.join(dir, `${pid}${WINDOW_SUFFIX}`), 'utf8').then(
    (text) => JSON.parse(text) as Window,
    () => undefined,
  );
}

/** The profiles in the directory, in the order they were written, once the service has written one. */
async function waitForProfiles(dir: string): Promise<string[]> {
  const deadline = Date.now() + PROFILE_WAIT_MS;
  for (;;) {
    const files = (await readdir(dir)).filter((file) => file.endsWith('.cpuprofile')).sort();
    if (files.length > 0 || Date.now() > deadline) return files;
    await delay(200);
  }
}
