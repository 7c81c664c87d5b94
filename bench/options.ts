import { parseArgs } from 'node:util';
import type { BenchOptions } from './types.js';

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
  --bulk-rows <n>         rows written by bulk-insert (default 200000, quick 20000)
  --only <a,b>            run only these (raw-insert, http-raw-insert, seed-naive, emmett, emmett-hot,
                          bulk-insert, append-many-port, append-many, append-hot, turns, long-stream)`;

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
      only: { type: 'string' },
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
    bulkRows: integer('bulk-rows', values['bulk-rows'], quick ? 20_000 : 200_000, 1_000, 10_000_000),
    only: values.only
      ?.split(',')
      .map((name) => name.trim())
      .filter(Boolean),
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
