import pg from 'pg';
import Cursor from 'pg-cursor';
import type { Order } from './usage.js';

/** The legacy table cannot be read as asked: exit status 2, like a connection error. */
export class SourceError extends Error {
  override readonly name = 'SourceError';
}

/** Which of the legacy table's columns exist: the two shapes differ, and more may come. */
export interface SourceShape {
  table: string;
  imageColumn: 'imageUrls' | 'image_urls' | undefined;
  optional: ReadonlySet<OptionalColumn>;
  /** Columns this importer does not map: carried into the events under `legacy`. */
  extra: readonly string[];
}

const REQUIRED = ['id', 'projectId', 'content', 'role', 'createdAt'] as const;
const OPTIONAL = ['kind', 'status', 'updatedAt', 'createdBy', 'sequence'] as const;
type OptionalColumn = (typeof OPTIONAL)[number];
const IMAGE_COLUMNS = ['imageUrls', 'image_urls'] as const;
const MAPPED = new Set<string>([...REQUIRED, ...OPTIONAL, ...IMAGE_COLUMNS]);

/** One row as the source query returns it, before any check. */
export interface SourceRow {
  id: string | null;
  project_id: string | null;
  content: string | null;
  role: string | null;
  kind: string | null;
  status: string | null;
  created_at: Date | null;
  updated_at: Date | null;
  created_by: string | null;
  image_urls: unknown;
  sequence: string | null;
  extra: Record<string, unknown>;
}

/** Reads the table's columns from the catalog. */
export async function detectShape(client: pg.ClientBase, table: string): Promise<SourceShape> {
  const { rows } = await client.query<{ name: string }>(
    `SELECT attname AS name FROM pg_attribute
      WHERE attrelid = to_regclass($1) AND attnum > 0 AND NOT attisdropped ORDER BY attnum`,
    [client.escapeIdentifier(table)],
  );
  if (rows.length === 0) throw new SourceError(`the source has no table "${table}"`);
  const columns = new Set(rows.map((row) => row.name));
  const missing = REQUIRED.filter((column) => !columns.has(column));
  if (missing.length > 0)
    throw new SourceError(`table "${table}" has no column ${missing.map((c) => `"${c}"`).join(', ')}`);
  return {
    table,
    imageColumn: IMAGE_COLUMNS.find((column) => columns.has(column)),
    optional: new Set(OPTIONAL.filter((column) => columns.has(column))),
    extra: [...columns].filter((column) => !MAPPED.has(column)),
  };
}

export interface ReadOptions {
  order: Order;
  projects: readonly string[];
  batchSize: number;
}

/**
 * The rows in import order, project after project, through a cursor: memory holds one batch,
 * however large the table. Rows without a project come last.
 */
export async function* readRows(
  client: pg.ClientBase,
  shape: SourceShape,
  options: ReadOptions,
): AsyncGenerator<SourceRow> {
  const cursor = client.query(
    new Cursor<SourceRow>(selectRows(client, shape, options), filterValues(options)),
  );
  try {
    for (;;) {
      const rows = await cursor.read(options.batchSize);
      if (rows.length === 0) return;
      yield* rows;
    }
  } finally {
    await cursor.close();
  }
}

/** How many rows the import will read, for the progress ETA. */
export async function countRows(
  client: pg.ClientBase,
  shape: SourceShape,
  options: ReadOptions,
): Promise<number> {
  const { rows } = await client.query<{ count: string }>(
    `SELECT count(*) AS count FROM ${client.escapeIdentifier(shape.table)} t ${where(options)}`,
    filterValues(options),
  );
  return Number(rows[0]?.count ?? 0);
}

function selectRows(client: pg.ClientBase, shape: SourceShape, options: ReadOptions): string {
  const column = (name: OptionalColumn, cast: string) =>
    shape.optional.has(name) ? `t."${name}"::${cast}` : `NULL::${cast}`;
  const images = shape.imageColumn ? `to_jsonb(t."${shape.imageColumn}")` : 'NULL::jsonb';
  const extra = shape.extra.length
    ? `jsonb_strip_nulls(jsonb_build_object(${shape.extra
        .map((name) => `${client.escapeLiteral(name)}, t.${client.escapeIdentifier(name)}`)
        .join(', ')}))`
    : `'{}'::jsonb`;
  if (options.order === 'sequence' && !shape.optional.has('sequence'))
    throw new SourceError(`--order sequence: table "${shape.table}" has no "sequence" column`);
  const order =
    options.order === 'sequence'
      ? 't."projectId", t.sequence, t."createdAt", t.id'
      : 't."projectId", t."createdAt", t.id';
  return `SELECT t.id::text AS id, t."projectId"::text AS project_id, t.content::text AS content,
                 t.role::text AS role, ${column('kind', 'text')} AS kind, ${column('status', 'text')} AS status,
                 t."createdAt"::timestamptz AS created_at, ${column('updatedAt', 'timestamptz')} AS updated_at,
                 ${column('createdBy', 'text')} AS created_by, ${images} AS image_urls,
                 ${column('sequence', 'bigint')}::text AS sequence, ${extra} AS extra
            FROM ${client.escapeIdentifier(shape.table)} t ${where(options)}
           ORDER BY ${order}`;
}

function where(options: ReadOptions): string {
  return options.projects.length > 0 ? `WHERE t."projectId"::text = ANY($1::text[])` : '';
}

function filterValues(options: ReadOptions): unknown[] {
  return options.projects.length > 0 ? [options.projects] : [];
}
