import { parseArgs } from 'node:util';
import type { BenchOptions } from './types.js';

/** The size the projects list is compared at, and its page. */
export const LIST_BASELINE_PROJECTS = 1_000;
export const PROJECTS_PAGE = 50;

const USAGE = `npm run bench -- [flags]
  --quick                 whole run under a minute (short phases, small counts)
  --duration <s>          seconds of load per phase (default 8, quick 1.5)
  --warmup <s>            unmeasured load before each HTTP phase (default 2, quick 0.5)
  --connections <n>       writers / HTTP connections for many, hot and turns (default 32)
  --hot-writers <n>       writers on the one stream of emmett-hot (default 16)
  --naive-writers <n>     seed-naive writers (default 16)
  --naive-messages <n>    seed-naive messages per writer (default 50)
  --long-stream <n>       messages seeded into the long-stream project (default 10000)
  --samples <n>           sequential requests per project in long-stream (default 300, quick 60)
  --bulk-rows <n>         rows written by bulk-insert (default: --history-messages, the rebuild's size)
  --history-messages <n>  events seeded for http-raw-select, history and rebuild (default 1000000,
                          quick 100000)
  --history-project <n>   messages of the project history pages through (default 10000)
  --lag-rate <n>          appends/s paced by lag, open loop over HTTP (default 1000)
  --lag-projects <n>      projects lag spreads them over (default 500)
  --stream-replies <n>    replies streamed at once by stream-many, and the replies its lag phase
                          paces --lag-rate deltas/s over (default 100, quick 20)
  --stream-deltas <n>     deltas of 4 characters per reply in stream-many (default 2000, quick 200)
  --sse-subscribers <n>   idle SSE subscriptions opened by sse-idle (default 1000)
  --memory-projects <n>   distinct projects written by memory (default 100000, quick 10000)
  --list-projects <n>     projects in the read model projects-list pages through (default 1000000,
                          quick 100000); compared with the same pages at 1000
  --legacy-rows <n>       legacy rows imported by import-legacy, 100 per project (default 1000000,
                          quick 100000)
  --scaling-duration <s>  seconds of load per point of the scaling curve, after a third of that of
                          warm-up (default 3, quick 0.5)
  --cache-projects <n>    projects whose decision state state-cache builds in memory after one message
                          each, a tenth of them after ten each (default 100000, quick 10000)
  --only <a,b>            run only these (raw-insert, http-raw-insert, seed-naive, emmett, emmett-hot,
                          bulk-insert, http-raw-select, append-many-port, append-many, append-retry,
                          append-many-auth, append-hot, turns, long-stream, history, rebuild, lag,
                          stream-many, sse-idle, memory, state-cache, scaling, import-legacy,
                          projects-list)
  --profile <scenario>    run only this scenario (and the baselines of its targets) with the service
                          under node --cpu-prof; writes bench/results/profile-<scenario>.cpuprofile and
                          a summary by package and function, profile-<scenario>.md`;

/** A bad command line: printed with the usage, without a stack trace. */
export class UsageError extends Error {
  override readonly name = 'UsageError';
  constructor(problem: string) {
    super(`${problem}\n\n${USAGE}`);
  }
}

export function parseOptions(argv: readonly string[]): BenchOptions {
  try {
    return fromArgs(argv);
  } catch (error) {
    if (error instanceof UsageError) throw error;
    throw new UsageError(error instanceof Error ? error.message : String(error));
  }
}

function fromArgs(argv: readonly string[]): BenchOptions {
  const { values } = parseArgs({
    args: [...argv],
    options: {
      quick: { type: 'boolean', default: false },
      duration: { type: 'string' },
      warmup: { type: 'string' },
      connections: { type: 'string' },
      'hot-writers': { type: 'string' },
      'naive-writers': { type: 'string' },
      'naive-messages': { type: 'string' },
      'long-stream': { type: 'string' },
      samples: { type: 'string' },
      'bulk-rows': { type: 'string' },
      'history-messages': { type: 'string' },
      'history-project': { type: 'string' },
      'lag-rate': { type: 'string' },
      'lag-projects': { type: 'string' },
      'stream-replies': { type: 'string' },
      'stream-deltas': { type: 'string' },
      'sse-subscribers': { type: 'string' },
      'memory-projects': { type: 'string' },
      'legacy-rows': { type: 'string' },
      'list-projects': { type: 'string' },
      'scaling-duration': { type: 'string' },
      'cache-projects': { type: 'string' },
      only: { type: 'string' },
      profile: { type: 'string' },
      help: { type: 'boolean', default: false },
    },
    strict: true,
  });
  if (values.help) {
    console.log(USAGE);
    process.exit(0);
  }
  const quick = values.quick ?? false;
  return {
    quick,
    durationSec: number('duration', values.duration, quick ? 1.5 : 8, 0.2, 600),
    warmupSec: number('warmup', values.warmup, quick ? 0.5 : 2, 0, 600),
    connections: integer('connections', values.connections, 32, 1, 256),
    hotWriters: integer('hot-writers', values['hot-writers'], 16, 1, 256),
    naiveWriters: integer('naive-writers', values['naive-writers'], 16, 1, 256),
    naiveMessages: integer('naive-messages', values['naive-messages'], 50, 1, 10_000),
    longStream: integer('long-stream', values['long-stream'], 10_000, 1, 1_000_000),
    samples: integer('samples', values.samples, quick ? 60 : 300, 5, 100_000),
    ...readSide(values, quick),
    scalingDurationSec: number('scaling-duration', values['scaling-duration'], quick ? 0.5 : 3, 0.2, 600),
    cacheProjects: integer(
      'cache-projects',
      values['cache-projects'],
      quick ? 10_000 : 100_000,
      1,
      1_000_000,
    ),
    only: values.only
      ?.split(',')
      .map((name) => name.trim())
      .filter(Boolean),
    profile: values.profile?.trim() || undefined,
  };
}

type Values = Record<string, string | boolean | undefined>;

function readSide(values: Values, quick: boolean) {
  const raw = (flag: string): string | undefined => {
    const value = values[flag];
    return typeof value === 'string' ? value : undefined;
  };
  const historyProject = integer('history-project', raw('history-project'), 10_000, 100, 1_000_000);
  const historyMessages = integer(
    'history-messages',
    raw('history-messages'),
    quick ? 100_000 : 1_000_000,
    1_000,
    20_000_000,
  );
  if (historyMessages < historyProject)
    throw new UsageError(`--history-messages must be at least --history-project (${historyProject})`);
  return {
    historyMessages,
    // The rebuild's ceiling is measured at the rebuild's size: a larger table inserts more slowly.
    bulkRows: integer('bulk-rows', raw('bulk-rows'), historyMessages, 1_000, 20_000_000),
    historyProject,
    lagRate: integer('lag-rate', raw('lag-rate'), 1_000, 1, 20_000),
    lagProjects: integer('lag-projects', raw('lag-projects'), 500, 1, 100_000),
    streamReplies: integer('stream-replies', raw('stream-replies'), quick ? 20 : 100, 1, 1_000),
    // The whole reply stays within the service's 100,000 characters.
    streamDeltas: integer('stream-deltas', raw('stream-deltas'), quick ? 200 : 2_000, 1, 25_000),
    sseSubscribers: integer('sse-subscribers', raw('sse-subscribers'), 1_000, 1, 10_000),
    memoryProjects: integer(
      'memory-projects',
      raw('memory-projects'),
      quick ? 10_000 : 100_000,
      1,
      1_000_000,
    ),
    listProjects: integer(
      'list-projects',
      raw('list-projects'),
      quick ? 100_000 : 1_000_000,
      LIST_BASELINE_PROJECTS + PROJECTS_PAGE,
      10_000_000,
    ),
    legacyRows: integer('legacy-rows', raw('legacy-rows'), quick ? 100_000 : 1_000_000, 100, 20_000_000),
  };
}

function number(flag: string, raw: string | undefined, fallback: number, min: number, max: number): number {
  if (raw === undefined) return fallback;
  const value = Number(raw);
  if (!Number.isFinite(value) || value < min || value > max) {
    throw new UsageError(`--${flag}: expected a number from ${min} to ${max}, got "${raw}"`);
  }
  return value;
}

function integer(flag: string, raw: string | undefined, fallback: number, min: number, max: number): number {
  const value = number(flag, raw, fallback, min, max);
  if (!Number.isInteger(value)) throw new UsageError(`--${flag}: expected a whole number, got "${raw}"`);
  return value;
}
