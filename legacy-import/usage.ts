export const USAGE = `Usage: npm run import-legacy -- --source <postgres url> [options]

Imports the legacy "bazaar-vid_message" table into conversation streams, through the event store
the service is configured with (DATABASE_URL, EVENT_STORE). Safe to run again: nothing is imported
twice, and an interrupted import goes on where it stopped.

Options:
  --source <url>          the PostgreSQL holding the legacy table (required)
  --table <name>          the legacy table (default "bazaar-vid_message")
  --project <id>          import only this project; repeat for more
  --order <order>         created-at: ("createdAt", id) per project (default);
                          sequence: (sequence, "createdAt", id)
  --pair-window-ms <N>    place an assistant row after the user row that follows it when that row
                          is stamped at most N ms later (the legacy race)
  --rejects <file>        where bad rows go, as JSON lines (default import-rejects.jsonl)
  --allow-rejects         exit 0 even when rows were rejected
  --batch-size <N>        events per append (default 500)
  --dry-run               read and validate everything, write nothing
  --json                  the summary as one JSON object on the last line of stdout

Exit status: 0 done, 1 rows were rejected (without --allow-rejects) or the import failed,
2 bad usage or a connection error, 130 interrupted.`;

export type Order = 'created-at' | 'sequence';

export interface ImportOptions {
  source: string;
  table: string;
  projects: string[];
  order: Order;
  pairWindowMs: number | undefined;
  rejectsFile: string;
  allowRejects: boolean;
  batchSize: number;
  dryRun: boolean;
  json: boolean;
}

export type Command = { name: 'help' } | { name: 'import'; options: ImportOptions };

/** A mistake in the command line: one line on stderr, exit status 2. */
export class UsageError extends Error {
  override readonly name = 'UsageError';
}

const FLAGS = new Set(['--allow-rejects', '--dry-run', '--json']);
const VALUED = new Set([
  '--source',
  '--table',
  '--project',
  '--order',
  '--pair-window-ms',
  '--rejects',
  '--batch-size',
]);

export function parseArguments(argv: readonly string[]): Command {
  if (argv.some((arg) => arg === '--help' || arg === '-h')) return { name: 'help' };
  const given = collect(argv);
  const source = given.get('--source')?.at(-1);
  if (source === undefined) throw new UsageError('--source <postgres url> is required');
  if (!/^postgres(ql)?:\/\//.test(source)) throw new UsageError('--source must be a postgres:// URL');
  return {
    name: 'import',
    options: {
      source,
      table: given.get('--table')?.at(-1) ?? 'bazaar-vid_message',
      projects: given.get('--project') ?? [],
      order: orderOf(given.get('--order')?.at(-1)),
      pairWindowMs: optionalInteger('--pair-window-ms', given.get('--pair-window-ms')?.at(-1), 0),
      rejectsFile: given.get('--rejects')?.at(-1) ?? 'import-rejects.jsonl',
      allowRejects: given.has('--allow-rejects'),
      batchSize: optionalInteger('--batch-size', given.get('--batch-size')?.at(-1), 1) ?? 500,
      dryRun: given.has('--dry-run'),
      json: given.has('--json'),
    },
  };
}

/** Every option's values in the order given; flags map to an empty list. */
function collect(argv: readonly string[]): Map<string, string[]> {
  const given = new Map<string, string[]>();
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i] ?? '';
    const [name, inline] = arg.startsWith('--') && arg.includes('=') ? splitOnce(arg) : [arg, undefined];
    if (FLAGS.has(name)) {
      if (inline !== undefined) throw new UsageError(`${name} takes no value`);
      given.set(name, []);
    } else if (VALUED.has(name)) {
      const value = inline ?? argv[++i];
      if (value === undefined || value === '') throw new UsageError(`${name} needs a value`);
      given.set(name, [...(given.get(name) ?? []), value]);
    } else {
      throw new UsageError(`unknown argument "${arg}"`);
    }
  }
  return given;
}

function splitOnce(arg: string): [string, string] {
  const at = arg.indexOf('=');
  return [arg.slice(0, at), arg.slice(at + 1)];
}

function orderOf(value: string | undefined): Order {
  if (value === undefined || value === 'created-at' || value === 'sequence') return value ?? 'created-at';
  throw new UsageError(`--order must be created-at or sequence, not "${value}"`);
}

function optionalInteger(name: string, value: string | undefined, min: number): number | undefined {
  if (value === undefined) return undefined;
  if (!/^\d+$/.test(value) || Number(value) < min || !Number.isSafeInteger(Number(value)))
    throw new UsageError(`${name} must be a whole number of at least ${min}, not "${value}"`);
  return Number(value);
}
