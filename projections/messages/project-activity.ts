import type pg from 'pg';
import { type ConversationEvent } from '../../src/conversation/conversation.events.js';

/**
 * The projects list, most recently active first, paged with a cursor that neither skips nor
 * repeats a project while others write. Activity is a row per project per change of place in the
 * list, numbered by a sequence (`seq`): a project's current row has `superseded_by` null, and a
 * row a later change replaced keeps, for an hour, the number of the row that replaced it. A
 * listing reads the rows as they were at the `seq` its first page saw (its cursor carries it), so a
 * project that moves to the front meanwhile is still found at its old place.
 */
export function createActivityTable(g: number): string {
  return `
    CREATE SEQUENCE rm_project_activity_g${g}_seq;
    CREATE TABLE rm_project_activity_g${g} (
      seq bigint PRIMARY KEY,
      project_id text NOT NULL,
      superseded_by bigint,
      superseded_at timestamptz
    );
    -- Ascending although read newest first: new places go at its right end, which keeps its pages
    -- full (a descending one splits each in half), so the planner prefers it to walking the whole
    -- table by its primary key, past the places the busiest projects have left behind.
    CREATE INDEX rm_project_activity_g${g}_current ON rm_project_activity_g${g} (seq)
      WHERE superseded_by IS NULL;
    CREATE INDEX rm_project_activity_g${g}_project ON rm_project_activity_g${g} (project_id)
      WHERE superseded_by IS NULL;
    CREATE INDEX rm_project_activity_g${g}_superseded ON rm_project_activity_g${g} (superseded_by)
      WHERE superseded_by IS NOT NULL;
    CREATE INDEX rm_project_activity_g${g}_expiry ON rm_project_activity_g${g} (superseded_at)
      WHERE superseded_by IS NOT NULL;`;
}

/**
 * A generation of version 1 has no activity yet: its projects are given a place each (in no
 * particular order: version 1 kept no times) and their counts, until the rebuild replaces them.
 */
export function upgradeActivityTable(g: number): string {
  return `
    DO $$ BEGIN
      IF to_regclass('rm_project_activity_g${g}') IS NULL THEN
        ${createActivityTable(g)}
        UPDATE rm_projects_g${g} p
           SET message_count = m.n, created_at = m.first_at, last_message_at = m.last_at
          FROM (SELECT project_id, count(*) AS n, min(created_at) AS first_at,
                       max(coalesce(updated_at, created_at)) AS last_at
                  FROM rm_messages_g${g} GROUP BY project_id) m
         WHERE p.project_id = m.project_id;
        INSERT INTO rm_project_activity_g${g} (seq, project_id)
        SELECT nextval('rm_project_activity_g${g}_seq'), project_id
          FROM rm_projects_g${g} ORDER BY last_message_at NULLS FIRST;
      END IF;
    END $$;`;
}

/** How long a replaced row is kept: the life of a listing's cursor. */
export const ACTIVITY_RETENTION_SECONDS = 3600;

/** What a batch did to one project: messages created, and when it was first and last active. */
export interface Activity {
  created: number;
  firstAt: string | null;
  lastAt: string | null;
}

/** Creating or completing a message is activity; a streamed delta is not (the reply is under way). */
export function noteActivity(
  activity: Map<string, Activity>,
  projectId: string,
  event: ConversationEvent,
): void {
  if (event.type === 'AssistantDeltaAppended') return;
  const entry = activity.get(projectId) ?? { created: 0, firstAt: null, lastAt: null };
  if (event.type === 'AssistantCompleted') {
    entry.lastAt = event.data.completedAt;
  } else {
    entry.created++;
    entry.firstAt ??= event.data.createdAt;
    entry.lastAt = event.data.createdAt;
  }
  activity.set(projectId, entry);
}

/**
 * Moves the projects (the text[] parameter `ids`) to the front of the list, keeping their old
 * places for listings under way; the places replaced long enough ago that no listing can still
 * need them (`retentionSecs`) go in the same statement. Common table expressions, to be the WITH
 * of a statement (recordActivity's, or a batch's one write).
 */
export function activityCtes(g: number, ids: string, retentionSecs: string): string {
  return `moved AS MATERIALIZED (
       SELECT p AS project_id, nextval('rm_project_activity_g${g}_seq') AS seq FROM unnest(${ids}::text[]) AS p
     ), replaced AS (
       UPDATE rm_project_activity_g${g} a SET superseded_by = moved.seq, superseded_at = now()
         FROM moved WHERE a.project_id = moved.project_id AND a.superseded_by IS NULL
     ), pruned AS (
       DELETE FROM rm_project_activity_g${g}
        WHERE superseded_by IS NOT NULL AND superseded_at < now() - make_interval(secs => ${retentionSecs})
     ), placed AS (
       INSERT INTO rm_project_activity_g${g} (seq, project_id) SELECT seq, project_id FROM moved
     )`;
}

/** Moves the projects to the front of the list (activityCtes), in one statement of its own. */
export async function recordActivity(client: pg.ClientBase, g: number, projectIds: string[]): Promise<void> {
  if (projectIds.length === 0) return;
  await client.query(`WITH ${activityCtes(g, '$1', '$2')} SELECT 1`, [
    projectIds,
    ACTIVITY_RETENTION_SECONDS,
  ]);
}

export async function forgetActivity(client: pg.ClientBase, g: number, projectId: string): Promise<void> {
  await client.query(`DELETE FROM rm_project_activity_g${g} WHERE project_id = $1`, [projectId]);
}
