import type pg from 'pg';
import { PROJECTIONS } from '../registry.js';
import { type Projection } from '../projection.js';
import { loadGenerations, useGeneration } from './generations.js';

/** Rows one erasure removed from one generation of a projection. */
export interface ReadModelErasure {
  projection: string;
  generation: number;
  rows: number;
}

/**
 * Removes an erased stream's rows from every generation of every projection: the live one, one
 * being built, and retired ones whose tables are still to be dropped. A generation created after
 * the generations were listed is built from the log, which no longer holds the stream, and its
 * batches skip erased projects anyway. Each generation is done in a transaction of its own.
 */
export async function eraseFromReadModels(pool: pg.Pool, streamName: string): Promise<ReadModelErasure[]> {
  const done: ReadModelErasure[] = [];
  for (const projection of PROJECTIONS) {
    if (!projection.erase) continue;
    for (const { generation } of await loadGenerations(pool, projection.name)) {
      const rows = await eraseFromGeneration(pool, projection, generation, streamName);
      if (rows !== undefined) done.push({ projection: projection.name, generation, rows });
    }
  }
  return done;
}

/** Undefined when the generation's tables were dropped before the erasure reached them. */
async function eraseFromGeneration(
  pool: pg.Pool,
  projection: Projection,
  generation: number,
  streamName: string,
): Promise<number | undefined> {
  const client = await pool.connect();
  try {
    await client.query('BEGIN');
    // In use, its tables are not dropped under the erasure; checked after, they still exist.
    await useGeneration(client, projection.name, generation);
    const { rows } = await client.query<{ present: boolean }>(
      'SELECT EXISTS (SELECT 1 FROM projection_generations WHERE name = $1 AND generation = $2) AS present',
      [projection.name, generation],
    );
    const removed = rows[0]?.present ? await projection.erase?.(client, generation, streamName) : undefined;
    await client.query('COMMIT');
    return removed;
  } catch (error) {
    await client.query('ROLLBACK').catch(() => undefined);
    throw error;
  } finally {
    client.release();
  }
}
