import { spawn } from 'node:child_process';
import path from 'node:path';
import { newClient } from '../support/postgres.js';
import { ROOT } from '../support/processes.js';
import type { Bench, BenchContext, BenchResult } from '../support/types.js';

const ROWS_PER_PROJECT = 100;
/** Peak RSS may grow this much from a tenth of the rows to all of them and still count as flat. */
const FLAT_RSS_SLACK_MB = 32;

interface ImportRun {
  rows: number;
  seconds: number;
  events: number;
  peakRssMb: number;
}

/**
 * The legacy importer, the built CLI as an operator runs it, on a production-shape table of
 * `legacyRows` rows (100 per project, a user row then a completed reply), into an empty event store.
 * Run on a tenth of the rows too: the peak RSS of both shows whether memory grows with the table.
 */
export const importLegacy: Bench = {
  name: 'import-legacy',
  async run(context): Promise<BenchResult[]> {
    const rows = context.options.legacyRows;
    const small = await importOnce(context, Math.max(ROWS_PER_PROJECT, Math.round(rows / 10)), 'small');
    const large = await importOnce(context, rows, 'large');
    const flat = large.peakRssMb <= small.peakRssMb + FLAT_RSS_SLACK_MB;
    return [
      {
        id: 'import-legacy',
        name: 'import-legacy',
        what: `npm run import-legacy: ${rows} legacy rows over ${rows / ROWS_PER_PROJECT} projects into the PostgreSQL event store, default options`,
        unit: 'rows/s',
        rate: large.rows / large.seconds,
        extra: {
          rows: large.rows,
          events: large.events,
          seconds: Number(large.seconds.toFixed(1)),
          peakRssMb: large.peakRssMb,
          [`peakRssMbAt${small.rows}Rows`]: small.peakRssMb,
        },
        check: {
          ok: flat && large.events === large.rows * 1.5,
          detail: `peak RSS ${small.peakRssMb} MB at ${small.rows} rows, ${large.peakRssMb} MB at ${large.rows}; ${large.events} events`,
        },
      },
    ];
  },
};

async function importOnce(context: BenchContext, rows: number, label: string): Promise<ImportRun> {
  const source = await context.database(`legacy_${label}`);
  const target = await context.database(`import_${label}`);
  await fillLegacyTable(source, rows);
  context.log(`import-legacy: ${rows} rows (${label})`);
  const started = performance.now();
  const summary = await runImporter(['--source', source, '--json', '--rejects', '/dev/null'], target);
  return {
    rows,
    seconds: (performance.now() - started) / 1000,
    events: summary.events,
    peakRssMb: summary.peakRssMb,
  };
}

async function fillLegacyTable(url: string, rows: number): Promise<void> {
  const client = newClient(url);
  await client.connect();
  try {
    await client.query(`CREATE TABLE "bazaar-vid_message" (
      "id" uuid PRIMARY KEY DEFAULT gen_random_uuid() NOT NULL, "projectId" uuid NOT NULL,
      "content" text NOT NULL, "role" varchar(50) NOT NULL, "kind" varchar(50) DEFAULT 'message' NOT NULL,
      "status" varchar(50), "image_urls" jsonb, "sequence" integer DEFAULT 0 NOT NULL,
      "createdAt" timestamp with time zone DEFAULT CURRENT_TIMESTAMP NOT NULL,
      "updatedAt" timestamp with time zone DEFAULT CURRENT_TIMESTAMP,
      "originalTsxCode" text, "lastFixAttempt" timestamp with time zone, "fixIssues" text)`);
    await client.query(
      `INSERT INTO "bazaar-vid_message" ("projectId", content, role, status, sequence, "createdAt", "updatedAt")
       SELECT md5('p' || (n / $2))::uuid, 'Message number ' || n || ' of a conversation about a video',
              CASE WHEN n % 2 = 0 THEN 'user' ELSE 'assistant' END,
              CASE WHEN n % 2 = 0 THEN NULL ELSE 'success' END, n % $2 + 1,
              timestamptz '2025-01-01' + n * interval '1 second',
              timestamptz '2025-01-01' + n * interval '1 second' + interval '5 seconds'
         FROM generate_series(0, $1 - 1) n`,
      [rows, ROWS_PER_PROJECT],
    );
    await client.query(`CREATE INDEX ON "bazaar-vid_message" ("projectId", "createdAt", id)`);
  } finally {
    await client.end();
  }
}

function runImporter(args: string[], databaseUrl: string): Promise<{ events: number; peakRssMb: number }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [path.join(ROOT, 'dist/legacy-import/main.js'), ...args], {
      env: { ...process.env, NODE_OPTIONS: '', DATABASE_URL: databaseUrl },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    child.once('error', reject);
    child.once('close', (code) => {
      if (code !== 0) return reject(new Error(`import-legacy exited ${code}: ${stderr.trim()}`));
      resolve(JSON.parse(stdout.trim().split('\n').at(-1) ?? '{}') as { events: number; peakRssMb: number });
    });
  });
}
