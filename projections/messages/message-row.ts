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

/**
 * The columns of a Message as toMessage gives it, named and ordered as its JSON: `json_agg` over a
 * row of them writes the same JSON that JSON.stringify writes of toMessage's result, so a page can
 * leave PostgreSQL as text and go out as it is, never parsed and serialized again in between.
 */
export const MESSAGE_JSON_COLUMNS = [
  'id',
  'project_id AS "projectId"',
  'sequence',
  'role',
  'kind',
  'status',
  'content',
  'image_urls AS "imageUrls"',
  'reply_to AS "replyTo"',
  `to_char(created_at AT TIME ZONE 'UTC', ${ISO_INSTANT}) AS "createdAt"`,
  `to_char(updated_at AT TIME ZONE 'UTC', ${ISO_INSTANT}) AS "updatedAt"`,
  'created_by AS "createdBy"',
  'revision',
  'metadata',
].join(', ');

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
