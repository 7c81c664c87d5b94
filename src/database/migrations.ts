import type pg from 'pg';
import { MIGRATION_LOCK_KEY } from './advisory-locks.js';

export interface Migration {
  /** Unique and increasing within its set. */
  id: number;
  name: string;
  sql: string;
}

export interface MigrationSet {
  /** Each set (event store, each read model) keeps its own version. */
  name: string;
  migrations: readonly Migration[];
}

/**
 * Applies what is missing, each migration in its own transaction. Instances starting together
 * serialize on an advisory lock; the second finds the work done.
 */
export async function migrate(pool: pg.Pool, sets: readonly MigrationSet[]): Promise<void> {
  const client = await pool.connect();
  try {
    await client.query('SELECT pg_advisory_lock($1)', [MIGRATION_LOCK_KEY]);
    await client.query(`
      CREATE TABLE IF NOT EXISTS schema_migrations (
        set_name text NOT NULL,
        id int NOT NULL,
        name text NOT NULL,
        applied_at timestamptz NOT NULL DEFAULT now(),
        PRIMARY KEY (set_name, id)
      )`);
    for (const set of sets) {
      const { rows } = await client.query<{ id: number }>(
        'SELECT id FROM schema_migrations WHERE set_name = $1',
        [set.name],
      );
      const applied = new Set(rows.map((row) => row.id));
      for (const migration of [...set.migrations].sort((a, b) => a.id - b.id)) {
        if (applied.has(migration.id)) continue;
        await client.query('BEGIN');
        try {
          await client.query(migration.sql);
          await client.query('INSERT INTO schema_migrations (set_name, id, name) VALUES ($1, $2, $3)', [
            set.name,
            migration.id,
            migration.name,
          ]);
          await client.query('COMMIT');
        } catch (error) {
          await client.query('ROLLBACK');
          throw new Error(`Migration ${set.name} #${migration.id} (${migration.name}) failed`, {
            cause: error,
          });
        }
      }
    }
  } finally {
    await client.query('SELECT pg_advisory_unlock($1)', [MIGRATION_LOCK_KEY]).catch(() => undefined);
    client.release();
  }
}
