import type pg from 'pg';

/**
 * An erased project's tombstone outlives its data: which project, when, by whom and through which
 * request, and nothing of its content. It is written before anything is erased, so a project whose
 * erasure was cut short already refuses writes, and erasing it again finishes the job. The table
 * lives in the read model's database, created by the projector's migrations: its batches read it.
 */
export const TOMBSTONES_TABLE = `
CREATE TABLE project_tombstones (
  project_id text PRIMARY KEY,
  erased_at timestamptz NOT NULL DEFAULT now(),
  erased_by text,
  request_id text
);`;

/** Notified once a project's erasure is complete, with its id (or '*' after a lost connection). */
export const ERASED_CHANNEL = 'project_erased';

/**
 * Notified as a project's tombstone commits, with its id (or '*' after a lost connection): from
 * then on no instance may answer for the project as if it were not erased.
 */
export const TOMBSTONED_CHANNEL = 'project_tombstoned';

export interface ErasureRequest {
  projectId: string;
  /** The token's `sub`, or null when authentication is off or an operator erases. */
  subject: string | null;
  requestId: string | null;
}

/**
 * The first erasure's record stands: erasing again changes nothing of it. The word goes out on
 * TOMBSTONED_CHANNEL in the same transaction, so it is heard as the tombstone commits.
 */
export async function writeTombstone(db: pg.ClientBase | pg.Pool, request: ErasureRequest): Promise<void> {
  await db.query(
    `WITH written AS (
       INSERT INTO project_tombstones (project_id, erased_by, request_id) VALUES ($1, $2, $3)
       ON CONFLICT (project_id) DO NOTHING
     )
     SELECT pg_notify($4, $1)`,
    [request.projectId, request.subject, request.requestId, TOMBSTONED_CHANNEL],
  );
}

/** Which of these projects were erased (one indexed lookup). */
export async function erasedAmong(
  db: pg.ClientBase | pg.Pool,
  projectIds: readonly string[],
): Promise<Set<string>> {
  if (projectIds.length === 0) return new Set();
  const { rows } = await db.query<{ project_id: string }>(
    'SELECT project_id FROM project_tombstones WHERE project_id = ANY($1::text[])',
    [projectIds],
  );
  return new Set(rows.map((row) => row.project_id));
}

/** A command or read of an erased project: 410. */
export class ProjectErasedError extends Error {
  override readonly name = 'ProjectErasedError';
  constructor(readonly projectId: string) {
    super(`Project ${projectId} was erased`);
  }
}
