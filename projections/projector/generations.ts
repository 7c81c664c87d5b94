import type pg from 'pg';
import {
  IN_USE_LOCK_CLASS,
  REBUILD_REQUEST_LOCK_CLASS,
  SETUP_LOCK,
} from '../../src/database/advisory-locks.js';
import { type Migration } from '../../src/database/migrations.js';
import { type Projection } from '../projection.js';
import { TOMBSTONES_TABLE } from '../../src/erasure/tombstones.js';

/**
 * Where every projection's builds stand: the live one, a rebuild in progress if any, and
 * generations replaced by a rebuild whose tables are still to be dropped (`retired`).
 */
export const projectorMigrations: Migration[] = [
  {
    id: 1,
    name: 'projection generations',
    sql: `
CREATE TABLE projection_generations (
  name text NOT NULL,
  generation int NOT NULL,
  version int NOT NULL,
  state text NOT NULL CHECK (state IN ('building', 'live')),
  position text,
  events_applied bigint NOT NULL DEFAULT 0,
  failed boolean NOT NULL DEFAULT false,
  last_error text,
  started_at timestamptz NOT NULL DEFAULT now(),
  updated_at timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (name, generation)
);
CREATE UNIQUE INDEX projection_generations_one_live ON projection_generations (name) WHERE state = 'live';
CREATE UNIQUE INDEX projection_generations_one_building ON projection_generations (name) WHERE state = 'building';
`,
  },
  {
    id: 2,
    name: 'retired generations; a switch-over waiting for readers',
    sql: `
ALTER TABLE projection_generations DROP CONSTRAINT projection_generations_state_check;
ALTER TABLE projection_generations ADD CONSTRAINT projection_generations_state_check
  CHECK (state IN ('building', 'live', 'retired'));
ALTER TABLE projection_generations ADD COLUMN switch_waiting_since timestamptz;
`,
  },
  {
    id: 3,
    name: 'tombstones of erased projects, whose events batches skip',
    sql: TOMBSTONES_TABLE,
  },
];

/** Notified when a rebuild is requested, so the active projector starts it at once. */
export const CONTROL_CHANNEL = 'projection_control';
/** Notified after each committed batch of a live generation: `*` or {"projectId": revision}. */
export const PROJECTED_CHANNEL = 'rm_projected';

export interface Generation {
  name: string;
  generation: number;
  version: number;
  state: 'building' | 'live' | 'retired';
  position: string | null;
  eventsApplied: number;
  failed: boolean;
  lastError: string | null;
  updatedAt: Date;
  /** A build caught up whose switch-over keeps meeting transactions that hold the read model: since when. */
  switchWaitingSince: Date | null;
}

interface GenerationRow {
  name: string;
  generation: number;
  version: number;
  state: 'building' | 'live' | 'retired';
  position: string | null;
  events_applied: string;
  failed: boolean;
  last_error: string | null;
  updated_at: Date;
  switch_waiting_since: Date | null;
}

export async function loadGenerations(
  db: pg.ClientBase | pg.Pool,
  name: string,
  lock = false,
): Promise<Generation[]> {
  const { rows } = await db.query<GenerationRow>(
    `SELECT * FROM projection_generations WHERE name = $1 ORDER BY generation${lock ? ' FOR UPDATE' : ''}`,
    [name],
  );
  return rows.map((row) => ({
    name: row.name,
    generation: row.generation,
    version: row.version,
    state: row.state,
    position: row.position,
    eventsApplied: Number(row.events_applied),
    failed: row.failed,
    lastError: row.last_error,
    updatedAt: row.updated_at,
    switchWaitingSince: row.switch_waiting_since,
  }));
}

/**
 * Starts a build of the projection beside the live one, or reports the one under way.
 * Safe to call from any instance: the active projector picks it up.
 */
export async function requestRebuild(client: pg.ClientBase, projection: Projection): Promise<Generation> {
  await client.query('BEGIN');
  try {
    // Requests that arrive together take turns, so that the later ones find the building generation
    // the first created (each statement below sees what committed before it) instead of a duplicate.
    await client.query('SELECT pg_advisory_xact_lock($1, hashtext($2))', [
      REBUILD_REQUEST_LOCK_CLASS,
      projection.name,
    ]);
    const generations = await loadGenerations(client, projection.name, true);
    const generation =
      generations.find((g) => g.state === 'building') ??
      (await createGeneration(client, projection, generations, 'building'));
    await client.query(`SELECT pg_notify($1, $2)`, [CONTROL_CHANNEL, projection.name]);
    await client.query('COMMIT');
    return generation;
  } catch (error) {
    await client.query('ROLLBACK').catch(() => undefined);
    throw error;
  }
}

/**
 * Makes sure the projection has a live generation this code can read: creates the first (empty)
 * one, or brings an older version's tables up to this version's shape (`upgradeTables`) while its
 * rebuild is pending. Every instance does this at start-up, before it serves a read.
 */
export async function ensureLiveGeneration(client: pg.ClientBase, projection: Projection): Promise<void> {
  await client.query('BEGIN');
  try {
    await client.query('SELECT pg_advisory_xact_lock($1, $2)', [...SETUP_LOCK]);
    const generations = await loadGenerations(client, projection.name, true);
    const live = generations.find((g) => g.state === 'live');
    if (!live) {
      await createGeneration(client, projection, generations, 'live');
    } else if (live.version < projection.version && projection.upgradeTables) {
      // The older generation keeps answering while its rebuild runs: its tables gain what this
      // code reads, before this instance serves a read.
      await client.query(projection.upgradeTables(live.generation, live.version));
      await client.query(projection.activate(live.generation));
    }
    await client.query('COMMIT');
  } catch (error) {
    await client.query('ROLLBACK').catch(() => undefined);
    throw error;
  }
}

/** Creates a generation's tables and its row, inside the caller's transaction. */
export async function createGeneration(
  client: pg.ClientBase,
  projection: Projection,
  existing: Generation[],
  state: 'building' | 'live',
): Promise<Generation> {
  const generation = Math.max(0, ...existing.map((g) => g.generation)) + 1;
  await client.query(projection.dropTables(generation));
  await client.query(projection.createTables(generation));
  if (state === 'live') await client.query(projection.activate(generation));
  const { rows } = await client.query<{ updated_at: Date }>(
    `INSERT INTO projection_generations (name, generation, version, state) VALUES ($1, $2, $3, $4) RETURNING updated_at`,
    [projection.name, generation, projection.version, state],
  );
  return {
    name: projection.name,
    generation,
    version: projection.version,
    state,
    position: null,
    eventsApplied: 0,
    failed: false,
    lastError: null,
    updatedAt: rows[0]?.updated_at ?? new Date(),
    switchWaitingSince: null,
  };
}

/** Keeps a generation's tables from being dropped until the caller's transaction ends. */
export async function useGeneration(client: pg.ClientBase, name: string, generation: number): Promise<void> {
  await client.query('SELECT pg_advisory_xact_lock_shared($1, hashtext($2))', [
    IN_USE_LOCK_CLASS,
    `${name}/${generation}`,
  ]);
}

/** A lock that was not granted within the transaction's lock_timeout (or a deadlock): try again later. */
export function isLockConflict(error: unknown): boolean {
  const code = (error as { code?: unknown } | null)?.code;
  return code === '55P03' || code === '40P01';
}

/**
 * Drops a retired generation's tables and its row, waiting at most `lockTimeoutMs` for any lock:
 * a DROP queued behind a transaction that still reads those tables would hold up every other
 * lock request on them. Returns false, having changed nothing, when the generation is still in
 * use (a reader's transaction, verify): the caller tries again later.
 */
export async function dropRetiredGeneration(
  client: pg.ClientBase,
  projection: Projection,
  generation: number,
  lockTimeoutMs: number,
): Promise<boolean> {
  await client.query('BEGIN');
  try {
    await client.query(`SET LOCAL lock_timeout = ${Math.max(1, Math.round(lockTimeoutMs))}`);
    const { rows } = await client.query<{ free: boolean }>(
      'SELECT pg_try_advisory_xact_lock($1, hashtext($2)) AS free',
      [IN_USE_LOCK_CLASS, `${projection.name}/${generation}`],
    );
    if (!rows[0]?.free) {
      await client.query('ROLLBACK');
      return false;
    }
    await client.query(projection.dropTables(generation));
    await client.query(
      `DELETE FROM projection_generations WHERE name = $1 AND generation = $2 AND state = 'retired'`,
      [projection.name, generation],
    );
    await client.query('COMMIT');
    return true;
  } catch (error) {
    await client.query('ROLLBACK').catch(() => undefined);
    if (isLockConflict(error)) return false;
    throw error;
  }
}
