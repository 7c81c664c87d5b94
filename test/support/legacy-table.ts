import pg from 'pg';

/** The table as the sequencing analysis describes it: no sequence column, `imageUrls` text[]. */
const ANALYSIS_SHAPE = `CREATE TABLE "bazaar-vid_message" (
  id uuid PRIMARY KEY, "projectId" uuid, content text, role varchar(50), kind varchar(50),
  status varchar(50), "createdAt" timestamptz, "updatedAt" timestamptz, "createdBy" text,
  "imageUrls" text[])`;

/** The table in production, from the application's own migration. */
const PRODUCTION_SHAPE = `CREATE TABLE "bazaar-vid_message" (
  "id" uuid PRIMARY KEY DEFAULT gen_random_uuid() NOT NULL, "projectId" uuid NOT NULL,
  "content" text NOT NULL, "role" varchar(50) NOT NULL, "kind" varchar(50) DEFAULT 'message' NOT NULL,
  "status" varchar(50), "image_urls" jsonb, "sequence" integer DEFAULT 0 NOT NULL,
  "createdAt" timestamp with time zone DEFAULT CURRENT_TIMESTAMP NOT NULL,
  "updatedAt" timestamp with time zone DEFAULT CURRENT_TIMESTAMP,
  "originalTsxCode" text, "lastFixAttempt" timestamp with time zone, "fixIssues" text)`;

export type LegacyShape = 'analysis' | 'production';

/** A legacy row; columns left out take the table's default (or NULL). */
export type LegacyRow = Record<string, unknown>;

/** Creates the legacy table in the database at `url` and fills it. */
export async function createLegacyTable(url: string, shape: LegacyShape, rows: LegacyRow[]): Promise<void> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    await client.query(shape === 'analysis' ? ANALYSIS_SHAPE : PRODUCTION_SHAPE);
    await insertLegacyRows(client, rows);
  } finally {
    await client.end();
  }
}

export async function insertLegacyRows(client: pg.ClientBase, rows: LegacyRow[]): Promise<void> {
  for (const row of rows) {
    const columns = Object.keys(row);
    await client.query(
      `INSERT INTO "bazaar-vid_message" (${columns.map((c) => `"${c}"`).join(', ')})
       VALUES (${columns.map((_, i) => `$${i + 1}`).join(', ')})`,
      columns.map((c) => row[c]),
    );
  }
}
