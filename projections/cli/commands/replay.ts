import type pg from 'pg';
import { streamNameOf } from '../../../src/conversation/conversation-stream.js';
import { PROJECTIONS } from '../../registry.js';
import { type Projection } from '../../projection.js';
import { PROJECTED_CHANNEL } from '../../projector/generations.js';
import { type Cli, throwIfInterrupted } from '../context.js';
import { count } from '../format.js';

const PAGE = 1_000;
const ATTEMPTS = 3;
/** Deadlock, serialization failure: the projector met this replay on a row; try again. */
const RETRYABLE = new Set(['40P01', '40001']);

interface Replayed {
  generation: number;
  removed: number;
  applied: number;
  revision: bigint;
}

/** Rebuilds one project's rows, in every projection that can forget a stream, from its stream. */
export async function replay(cli: Cli, projectId: string): Promise<number> {
  const streamName = streamNameOf(projectId);
  if ((await cli.db.store.streamRevision(streamName)) < 0n) {
    // No projection holds anything of a stream without events: there is nothing to rebuild, and
    // forgetting it would leave a row of its own behind.
    cli.print(`${streamName} has no events: nothing to replay; the read model is unchanged`);
    return 0;
  }
  for (const projection of PROJECTIONS) {
    if (!projection.forget) continue;
    throwIfInterrupted(cli.signal);
    const result = await withRetry(() => replayStream(cli, projection, streamName));
    cli.print(
      result.applied === 0
        ? `${projection.name} generation ${result.generation}: ${streamName} has no events; ` +
            `removed ${count(result.removed)} rows`
        : `${projection.name} generation ${result.generation}: replayed ${streamName}: ` +
            `removed ${count(result.removed)} rows, applied ${count(result.applied)} events ` +
            `(revisions 0 to ${result.revision})`,
    );
  }
  return 0;
}

/**
 * In one transaction on the live generation: the projection forgets the stream (holding that
 * project, and only it, against the projector), then every event of the stream is applied again,
 * page by page. The generation's row is key-shared so that no switch-over retires it meanwhile,
 * while the projector keeps moving its checkpoint.
 */
async function replayStream(cli: Cli, projection: Projection, streamName: string): Promise<Replayed> {
  const client = await cli.db.pool.connect();
  try {
    await client.query('BEGIN');
    const { rows } = await client.query<{ generation: number }>(
      `SELECT generation FROM projection_generations WHERE name = $1 AND state = 'live' FOR KEY SHARE`,
      [projection.name],
    );
    const generation = rows[0]?.generation;
    if (generation === undefined) throw new Error(`${projection.name} has no live generation`);
    const removed = (await projection.forget?.(client, generation, streamName)) ?? 0;
    const revisions = new Map<string, number>();
    let applied = 0;
    let next = 0n;
    for (;;) {
      throwIfInterrupted(cli.signal);
      const events = await cli.db.store.readStream(streamName, { fromRevision: next, maxCount: PAGE });
      if (events.length === 0) break;
      const changes = await projection.apply(client, events, generation);
      for (const [key, revision] of changes.revisions) revisions.set(key, revision);
      applied += events.length;
      next = (events.at(-1)?.revision ?? next) + 1n;
      if (events.length < PAGE) break;
    }
    if (revisions.size > 0) await notify(client, revisions);
    await client.query('COMMIT');
    return { generation, removed, applied, revision: next - 1n };
  } catch (error) {
    await client.query('ROLLBACK').catch(() => undefined);
    throw error;
  } finally {
    client.release();
  }
}

/** Wakes queries waiting for these revisions (minRevision), as a projector's batch does. */
async function notify(client: pg.ClientBase, revisions: Map<string, number>): Promise<void> {
  await client.query('SELECT pg_notify($1, $2)', [
    PROJECTED_CHANNEL,
    JSON.stringify(Object.fromEntries(revisions)),
  ]);
}

async function withRetry<T>(work: () => Promise<T>): Promise<T> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await work();
    } catch (error) {
      const code = (error as { code?: unknown }).code;
      if (attempt >= ATTEMPTS || typeof code !== 'string' || !RETRYABLE.has(code)) throw error;
    }
  }
}
