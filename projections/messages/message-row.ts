import { type Message } from '../../src/conversation/message.js';

export interface MessageRow {
  project_id: string;
  sequence: string | number;
  id: string;
  role: 'user' | 'assistant';
  kind: Message['kind'];
  status: Message['status'];
  content: string;
  image_urls: string[];
  reply_to: string | null;
  created_at: string | Date;
  updated_at: string | Date | null;
  created_by: string | null;
  revision: string | number;
  metadata: Record<string, unknown>;
}

export const MESSAGE_COLUMNS =
  'project_id, sequence, id, role, kind, status, content, image_urls, reply_to, created_at, updated_at, created_by, revision, metadata';

/** toISOString's form, from a timestamptz: milliseconds, UTC, "Z". */
const ISO_INSTANT = `'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"'`;

/** A Message's fields as its JSON names them, in its order, each with its column. */
const JSON_FIELDS: readonly [name: keyof Message, column: string][] = [
  ['id', 'id'],
  ['projectId', 'project_id'],
  ['sequence', 'sequence'],
  ['role', 'role'],
  ['kind', 'kind'],
  ['status', 'status'],
  ['content', 'content'],
  ['imageUrls', 'image_urls'],
  ['replyTo', 'reply_to'],
  ['createdAt', 'created_at'],
  ['updatedAt', 'updated_at'],
  ['createdBy', 'created_by'],
  ['revision', 'revision'],
  ['metadata', 'metadata'],
];

/**
 * SQL of a message's JSON text, exactly as JSON.stringify writes toMessage's result, from the
 * values `value(column)` gives for its columns (by default the columns of the row in scope).
 * Written into a row's `doc` when the row is written, a page of history is the docs joined: it
 * leaves PostgreSQL as text and goes out as it is, never rendered, parsed or serialized again.
 */
export function messageJsonSql(value: (column: string) => string = (column) => column): string {
  const fields = JSON_FIELDS.map(([name, column]) => {
    const sql = value(column);
    const rendered =
      column === 'created_at' || column === 'updated_at'
        ? `to_char((${sql}) AT TIME ZONE 'UTC', ${ISO_INSTANT})`
        : sql;
    return `${rendered} AS "${name}"`;
  });
  return `(SELECT row_to_json(x)::text FROM (SELECT ${fields.join(', ')}) x)`;
}

export function toMessage(row: MessageRow): Message {
  return {
    id: row.id,
    projectId: row.project_id,
    sequence: Number(row.sequence),
    role: row.role,
    kind: row.kind,
    status: row.status,
    content: row.content,
    imageUrls: row.image_urls,
    replyTo: row.reply_to,
    createdAt: new Date(row.created_at).toISOString(),
    updatedAt: row.updated_at === null ? null : new Date(row.updated_at).toISOString(),
    createdBy: row.created_by,
    revision: Number(row.revision),
    metadata: row.metadata,
  };
}
