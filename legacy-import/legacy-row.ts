import type { MessageKind } from '../src/conversation/conversation.events.js';
import type { SourceRow } from './source.js';

/** A legacy row that passed every check, ready to become events. */
export interface LegacyMessage {
  id: string;
  projectId: string;
  role: 'user' | 'assistant';
  kind: MessageKind;
  /** The legacy status as written (null on most user rows). */
  status: LegacyStatus | null;
  content: string;
  imageUrls: string[];
  createdAt: Date;
  updatedAt: Date | null;
  createdBy: string | null;
  sequence: number | null;
  extra: Record<string, unknown>;
}

export type LegacyStatus = 'pending' | 'building' | 'success' | 'error';

export type Checked = { message: LegacyMessage } | { reject: Reject };

/** A bad row, as it goes to the rejects file. */
export interface Reject {
  id: string | null;
  projectId: string | null;
  reason: string;
}

/** What the API itself accepts: the imported history must be history it could have written. */
const MAX_CONTENT = 100_000;
const PROJECT_ID = /^[A-Za-z0-9][A-Za-z0-9_-]{0,99}$/;
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
const STATUSES: readonly (string | null)[] = ['pending', 'building', 'success', 'error', null];
const KINDS: readonly (string | null)[] = ['message', 'status', null];

/** Checks one row; the first problem found is the reason it is rejected. */
export function checkRow(row: SourceRow): Checked {
  const reason = problemOf(row);
  if (reason !== undefined) return { reject: { id: row.id, projectId: row.project_id, reason } };
  return {
    message: {
      id: (row.id as string).toLowerCase(),
      projectId: row.project_id as string,
      role: row.role as LegacyMessage['role'],
      kind: (row.kind ?? 'message') as MessageKind,
      status: row.status as LegacyStatus | null,
      content: row.content as string,
      imageUrls: (row.image_urls as string[] | null) ?? [],
      createdAt: row.created_at as Date,
      updatedAt: row.updated_at,
      createdBy: row.created_by,
      sequence: row.sequence === null ? null : Number(row.sequence),
      extra: row.extra,
    },
  };
}

function problemOf(row: SourceRow): string | undefined {
  if (row.id === null || !UUID.test(row.id)) return 'the id is not a UUID';
  if (row.project_id === null) return 'no project id';
  if (!PROJECT_ID.test(row.project_id))
    return 'the project id is not one the API accepts (1 to 100 of A-Z a-z 0-9 _ -)';
  if (row.role !== 'user' && row.role !== 'assistant') return `unknown role ${JSON.stringify(row.role)}`;
  if (row.content === null) return 'null content';
  if (row.content.length > MAX_CONTENT)
    return `content over ${MAX_CONTENT.toLocaleString('en-US')} characters`;
  if (row.content.includes('\u0000')) return 'content contains U+0000 (NUL)';
  if (!isImageList(row.image_urls)) return 'malformed image URLs (not an array of strings)';
  if (row.created_at === null) return 'no createdAt';
  if (!STATUSES.includes(row.status)) return `unknown status ${JSON.stringify(row.status)}`;
  if (!KINDS.includes(row.kind)) return `unknown kind ${JSON.stringify(row.kind)}`;
  return undefined;
}

function isImageList(value: unknown): boolean {
  return value === null || (Array.isArray(value) && value.every((url) => typeof url === 'string'));
}
