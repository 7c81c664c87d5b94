import type pg from 'pg';
import { loadGenerations } from '../../projections/projector/generations.js';

/** The projects one call added: project `${prefix}${n}` (n from 1) holds list place `firstSeq + n - 1`. */
export interface SeededProjects {
  prefix: string;
  count: number;
  firstSeq: number;
}

/**
 * Gives the live read model `count` more projects, each with a place in the projects list newer
 * than every place before, written straight in SQL: a million take seconds, where projecting a
 * million conversations would take many minutes. The log knows nothing of them, so this serves
 * only to measure the list.
 */
export async function seedProjects(db: pg.Pool, prefix: string, count: number): Promise<SeededProjects> {
  const live = (await loadGenerations(db, 'messages')).find((generation) => generation.state === 'live');
  if (!live) throw new Error('no live generation of the messages projection');
  const g = live.generation;
  const client = await db.connect();
  try {
    await client.query('BEGIN');
    // Places are taken from the projector's own sequence, so that later activity goes in front.
    const { rows } = await client.query<{ first: string }>(
      `SELECT nextval('rm_project_activity_g${g}_seq') AS first`,
    );
    const firstSeq = Number(rows[0]?.first);
    await client.query(`SELECT setval('rm_project_activity_g${g}_seq', $1)`, [firstSeq + count - 1]);
    await client.query(
      `INSERT INTO rm_projects_g${g} (project_id, revision, message_count, created_at, last_message_at)
       SELECT $1 || n, 0, 1, now(), now() FROM generate_series(1, $2::int) AS n`,
      [prefix, count],
    );
    await client.query(
      `INSERT INTO rm_project_activity_g${g} (seq, project_id)
       SELECT $3::bigint + n - 1, $1 || n FROM generate_series(1, $2::int) AS n`,
      [prefix, count, firstSeq],
    );
    await client.query('COMMIT');
    // What autovacuum would do soon after such a load: the planner then knows the table's size.
    await client.query(`ANALYZE rm_projects_g${g}, rm_project_activity_g${g}`);
    return { prefix, count, firstSeq };
  } catch (error) {
    await client.query('ROLLBACK').catch(() => undefined);
    throw error;
  } finally {
    client.release();
  }
}
