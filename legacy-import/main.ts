import { createWriteStream, type WriteStream } from 'node:fs';
import pg from 'pg';
import { ConfigError, loadConfig } from '../src/config/config.js';
import { uuidv7 } from '../src/conversation/ids.js';
import { EventStoreUnavailableError } from '../src/event-store/event-store.port.js';
import { abortOnSignals, type Database, databaseTarget, openDatabase } from '../projections/cli/context.js';
import { Progress } from '../projections/cli/progress.js';
import { count, describeError as describe } from '../projections/cli/format.js';
import { importRows } from './importer.js';
import type { Reject } from './legacy-row.js';
import { countRows, detectShape, readRows, SourceError } from './source.js';
import { describeSummary, type Summary } from './summary.js';
import { type ImportOptions, parseArguments, USAGE, UsageError } from './usage.js';

const EXIT = { ok: 0, rejected: 1, failed: 1, usage: 2, interrupted: 130 } as const;
/** Projects whose appends overlap: enough to keep the store busy while the cursor reads on. */
const CONCURRENT_PROJECTS = 8;

/** `npm run import-legacy -- --source <url>`: the legacy message table into conversation streams. */
async function main(argv: readonly string[]): Promise<number> {
  let options: ImportOptions;
  try {
    const command = parseArguments(argv);
    if (command.name === 'help') {
      process.stdout.write(`${USAGE}\n`);
      return EXIT.ok;
    }
    options = command.options;
  } catch (error) {
    if (!(error instanceof UsageError)) throw error;
    process.stderr.write(`import-legacy: ${error.message} (see --help)\n`);
    return EXIT.usage;
  }
  const controller = abortOnSignals(EXIT.interrupted);

  let source: pg.Client | undefined;
  let target: Database | undefined;
  try {
    source = await openSource(options.source);
    const shape = await detectShape(source, options.table);
    const total = await countRows(source, shape, options);
    target = options.dryRun ? undefined : await openTarget();
    const summary = await importTable(options, source, shape, total, target, controller.signal);
    printSummary(summary, options);
    if (controller.signal.aborted) return EXIT.interrupted;
    return summary.rejects > 0 && !options.allowRejects ? EXIT.rejected : EXIT.ok;
  } catch (error) {
    const connection = isConnectionError(error);
    process.stderr.write(`import-legacy: ${connection ? '' : 'failed: '}${describe(error)}\n`);
    return connection ? EXIT.usage : EXIT.failed;
  } finally {
    await source?.end().catch(() => undefined);
    await target?.close().catch(() => undefined);
  }
}

async function importTable(
  options: ImportOptions,
  source: pg.Client,
  shape: Awaited<ReturnType<typeof detectShape>>,
  total: number,
  target: Database | undefined,
  signal: AbortSignal,
): Promise<Summary> {
  const rejects = createWriteStream(options.rejectsFile);
  const progress = new Progress(process.stderr, 'import', { verb: 'read', unit: 'rows' });
  try {
    const summary = await importRows(readRows(source, shape, options), {
      runId: uuidv7(),
      table: options.table,
      pairWindowMs: options.pairWindowMs,
      store: target?.store,
      batchSize: options.batchSize,
      concurrency: CONCURRENT_PROJECTS,
      reject: (reject) => writeReject(rejects, reject),
      onProgress: (so, rowsRead) =>
        progress.update({
          done: rowsRead,
          remaining: Math.max(0, total - rowsRead),
          note: `${count(so.projects)} projects`,
        }),
      signal,
    });
    progress.clear();
    return summary;
  } finally {
    progress.clear();
    await new Promise((resolve) => rejects.end(resolve));
  }
}

function writeReject(rejects: WriteStream, reject: Reject): void {
  rejects.write(`${JSON.stringify(reject)}\n`);
}

async function openSource(url: string): Promise<pg.Client> {
  const client = new pg.Client({
    connectionString: url,
    connectionTimeoutMillis: 10_000,
    application_name: 'import-legacy',
  });
  client.on('error', () => undefined);
  try {
    await client.connect();
  } catch (error) {
    throw new SourceError(`cannot connect to the source: ${describe(error)}`);
  }
  // The whole read sees one snapshot, so rows written meanwhile cannot shift the order.
  await client.query('BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY');
  return client;
}

/** The service's event store, as the service is configured. */
async function openTarget(): Promise<Database> {
  let config;
  try {
    config = loadConfig();
  } catch (error) {
    if (error instanceof ConfigError) throw new TargetError(error.message);
    throw error;
  }
  try {
    return await openDatabase(
      config,
      (message) => process.stderr.write(`import-legacy: ${message}\n`),
      'import-legacy',
    );
  } catch (error) {
    throw new TargetError(`cannot open the event store at ${databaseTarget(config)}: ${describe(error)}`);
  }
}

class TargetError extends Error {
  override readonly name = 'TargetError';
}

function isConnectionError(error: unknown): boolean {
  return (
    error instanceof SourceError ||
    error instanceof TargetError ||
    error instanceof EventStoreUnavailableError
  );
}

function printSummary(summary: Summary, options: ImportOptions): void {
  summary.peakRssMb = Math.round(process.resourceUsage().maxRSS / 1024);
  process.stdout.write(`${describeSummary(summary, options.rejectsFile)}\n`);
  if (options.json) process.stdout.write(`${JSON.stringify(summary)}\n`);
}

main(process.argv.slice(2)).then(
  (code) => process.exit(code),
  (error: unknown) => {
    process.stderr.write(`import-legacy: unexpected error: ${describe(error)}\n`);
    process.exit(EXIT.failed);
  },
);
