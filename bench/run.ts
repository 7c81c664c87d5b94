/**
 * `npm run bench`: every baseline and scenario on one PostgreSQL (DATABASE_URL or an embedded
 * server), each on a fresh database; prints a Markdown table and writes bench/results/latest.json.
 */
import os from 'node:os';
import { bulkInsert } from './baselines/bulk-insert.js';
import { emmett, emmettHot } from './baselines/emmett.js';
import { httpRawInsert } from './baselines/http-raw-insert.js';
import { httpRawSelect } from './baselines/http-raw-select.js';
import { rawInsert } from './baselines/raw-insert.js';
import { seedNaive } from './baselines/seed-naive.js';
import { parseOptions, UsageError } from './support/options.js';
import { keepProfiles, profileDir, profileSelection } from './support/profiling.js';
import { type BenchPostgres, startPostgres } from './support/postgres.js';
import { stopAllChildren } from './support/processes.js';
import { compare, markdown, writeJson } from './support/report.js';
import { appendHot } from './scenarios/append-hot.js';
import { appendManyPort } from './scenarios/append-many-port.js';
import { appendMany, appendManyAuth, appendRetry, turns } from './scenarios/http-load.js';
import { history } from './scenarios/history.js';
import { importLegacy } from './scenarios/import-legacy.js';
import { lag } from './scenarios/lag.js';
import { projectsList } from './scenarios/projects-list.js';
import { longStream } from './scenarios/long-stream.js';
import { memory } from './scenarios/memory.js';
import { rebuild } from './scenarios/rebuild.js';
import { streamMany } from './scenarios/stream-many.js';
import { sseIdle } from './scenarios/sse-idle.js';
import { stateCache } from './scenarios/state-cache.js';
import { scaling } from './scenarios/scaling.js';
import type { Bench, BenchContext, BenchResult, Machine } from './support/types.js';

/**
 * Baselines first: the scenarios are read against them. http-raw-select seeds the read model
 * that history and rebuild then use (whichever of the three runs first seeds it), so those two
 * follow it.
 */
/** Databases several scenarios read (by the name they create them with), and which. */
const SHARED_DATABASES: Readonly<Record<string, readonly string[]>> = {
  history: ['http-raw-select', 'history', 'rebuild'],
};

const BENCHES: readonly Bench[] = [
  rawInsert,
  httpRawInsert,
  seedNaive,
  emmett,
  emmettHot,
  bulkInsert,
  httpRawSelect,
  history,
  rebuild,
  appendManyPort,
  appendMany,
  appendRetry,
  appendManyAuth,
  appendHot,
  turns,
  scaling,
  longStream,
  lag,
  streamMany,
  projectsList,
  sseIdle,
  memory,
  stateCache,
  importLegacy,
];

const log = (message: string): void => console.error(`[bench] ${message}`);

async function main(): Promise<void> {
  const options = parseOptions(process.argv.slice(2));
  const unknown = options.only?.filter((name) => !BENCHES.some((bench) => bench.name === name)) ?? [];
  if (unknown.length > 0) throw new UsageError(`--only: unknown ${unknown.join(', ')}`);
  const selected = options.profile
    ? profileSelection(BENCHES, options.profile)
    : BENCHES.filter((bench) => !options.only || options.only.includes(bench.name));

  let postgres: BenchPostgres | undefined;
  let cleaning: Promise<void> | undefined;
  const cleanup = (): Promise<void> =>
    (cleaning ??= stopAllChildren().finally(async () => {
      await postgres?.stop();
    }));
  let interrupted = false;
  for (const signal of ['SIGINT', 'SIGTERM'] as const) {
    process.once(signal, () => {
      interrupted = true;
      process.exitCode = 130;
      log(`${signal}: stopping`);
      void cleanup().finally(() => process.exit(130));
    });
  }

  const startedAt = new Date();
  try {
    postgres = await startPostgres(log);
    const server = postgres;
    // Each scenario's databases are dropped once it is done (a shared one after the last scenario
    // that reads it): a million rows left behind would keep the server busy (autovacuum, its cache)
    // while later scenarios are measured.
    let made: { name: string; url: string }[] = [];
    const database = async (name: string): Promise<string> => {
      const url = await server.createDatabase(name);
      made.push({ name, url });
      return url;
    };
    const context: BenchContext = { options, database, log };
    const results: BenchResult[] = [];
    let profiles = '';
    for (const bench of selected) {
      if (interrupted) return;
      const settledMs = await server.settle();
      if (settledMs > 1_000) log(`PostgreSQL settled in ${(settledMs / 1000).toFixed(1)} s`);
      log(`${bench.name}…`);
      const began = Date.now();
      try {
        if (bench.name === options.profile) {
          const cpuProfileDir = await profileDir(bench.name);
          results.push(...(await bench.run({ ...context, cpuProfileDir })));
          profiles = await keepProfiles(cpuProfileDir, bench.name);
        } else results.push(...(await bench.run(context)));
      } catch (error) {
        // One broken bench must not lose the others' figures; the exit code still says so.
        log(
          `${bench.name} failed: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}`,
        );
        results.push({
          id: bench.name,
          name: bench.name,
          what: '',
          extra: {},
          skipped: `FAILED: ${String(error)}`,
        });
        process.exitCode = 1;
      }
      log(`${bench.name} done in ${((Date.now() - began) / 1000).toFixed(1)} s`);
      const later = selected.slice(selected.indexOf(bench) + 1).map((next) => next.name);
      const kept = made.filter(({ name }) => SHARED_DATABASES[name]?.some((user) => later.includes(user)));
      for (const { url } of made.filter((made) => !kept.includes(made))) await server.dropDatabase(url);
      made = kept;
    }
    // A partial run must not overwrite the last complete results.
    if (interrupted) return;
    const cpus = os.cpus();
    const machine: Machine = {
      cores: cpus.length,
      cpuModel: cpus[0]?.model.trim() ?? 'unknown',
      node: process.version,
      postgres: postgres.version,
      platform: `${os.platform()} ${os.release()}`,
    };
    const comparisons = compare(results);
    console.log(markdown(machine, options, results, comparisons));
    if (profiles) console.log(`\n${profiles}`);
    const file = await writeJson({
      machine,
      options,
      startedAt,
      finishedAt: new Date(),
      results,
      comparisons,
    });
    log(`results written to ${file} (${((Date.now() - startedAt.getTime()) / 1000).toFixed(1)} s in all)`);
  } finally {
    await cleanup();
  }
}

main().then(
  () => process.exit(process.exitCode ?? 0),
  (error: unknown) => {
    console.error(error instanceof UsageError ? error.message : error);
    process.exit(1);
  },
);
