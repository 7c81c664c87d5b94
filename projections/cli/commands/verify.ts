import type pg from 'pg';
import type { EventStore } from '../../../src/event-store/event-store.port.js';
import { erasedAmong } from '../../../src/erasure/tombstones.js';
import { messagesProjection } from '../../messages/messages.projection.js';
import { type Generation, loadGenerations, useGeneration } from '../../projector/generations.js';
import { LAG_CAP } from '../../projector/status.js';
import { type Cli, throwIfInterrupted } from '../context.js';
import { count } from '../format.js';
import { Progress } from '../progress.js';
import { compareReadModel, describeDifference, type Difference, Differences } from '../verify/compare.js';
import { type ExpectedModel, foldLog } from '../verify/expected.js';

const SHOWN = 20;
/** Exit status when the read model and the log disagree. */
export const DISAGREE = 3;

/** The generation verified was dropped before its rows were read: verify the new live one. */
class GenerationDropped extends Error {}

const ATTEMPTS = 3;

/**
 * Compares the messages read model with the log, up to the live generation's checkpoint: the
 * checkpoint and the rows are read in one snapshot, the log folded up to that checkpoint.
 */
export async function verify(cli: Cli): Promise<number> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await verifyOnce(cli);
    } catch (error) {
      if (!(error instanceof GenerationDropped) || attempt >= ATTEMPTS) throw error;
      cli.note(`${error.message}; verifying the live generation again`);
    }
  }
}

/**
 * The snapshot is exported by a transaction that reads nothing and so holds no lock, only the
 * generation (marked in use, so that a rebuild that retires it meanwhile drops its tables only
 * after this run): nothing of the read model is locked while the log is folded, which is the long
 * part, so neither a rebuild's switch-over nor any reader waits for verify. The generation's row
 * and then its tables are read in short transactions that import the snapshot.
 */
async function verifyOnce(cli: Cli): Promise<number> {
  const name = messagesProjection.name;
  const holder = await cli.db.pool.connect();
  const differences = new Differences(SHOWN);
  let live: Generation;
  let expected: ExpectedModel;
  let summary: string;
  try {
    await holder.query('BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY');
    const { rows: exported } = await holder.query<{ id: string }>('SELECT pg_export_snapshot() AS id');
    const snapshot = exported[0]?.id ?? '';
    const found = (await inSnapshot(cli, snapshot, (client) => loadGenerations(client, name))).find(
      (g) => g.state === 'live',
    );
    if (!found) throw new Error(`${name} has no live generation`);
    live = found;
    await useGeneration(holder, name, live.generation);
    if (live.failed) cli.note(`${name}: the live generation is stopped on an error: ${live.lastError}`);

    const progress = new Progress(cli.stderr, `verify ${name}: the log`, { verb: 'read' });
    const total = await eventsUpTo(cli.db.store, live.position);
    expected = await foldLog(
      cli.db.store,
      live.position,
      (events) => progress.update({ done: events, remaining: Math.max(0, total - events) }),
      () => throwIfInterrupted(cli.signal),
    );
    progress.clear();
    const messages = expected.messages.size;
    const projects = expected.projects.size;
    const { rows } = await inSnapshot(cli, snapshot, async (client) => {
      try {
        // Read after the fold: an erasure writes its tombstone before it erases the log.
        const projects = [...expected.projects.keys(), ...(await projectsIn(client, live.generation))];
        const erased = await erasedAmong(cli.db.pool, projects);
        return await compareReadModel(client, live.generation, expected, differences, erased);
      } catch (error) {
        if ((error as { code?: string }).code !== '42P01') throw error;
        const reason = `generation ${live.generation} was replaced and dropped while verify ran`;
        throw new GenerationDropped(reason, { cause: error });
      }
    });
    await holder.query('COMMIT');
    summary =
      `${name} generation ${live.generation} (version ${live.version}) at checkpoint ${live.position ?? '(none)'}: ` +
      `${count(expected.events)} events read, ${count(messages)} messages in ${count(projects)} projects ` +
      `expected, ${count(rows)} rows found`;
    for (const problem of expected.problems)
      cli.note(`the log holds an event no projection can apply: ${problem}`);
  } catch (error) {
    await holder.query('ROLLBACK').catch(() => undefined);
    throw error;
  } finally {
    holder.release();
  }

  cli.print(summary);
  if (differences.total === 0) {
    cli.print('the read model agrees with the log');
    return 0;
  }
  const { missing, unexpected, different, projects } = differences.counts;
  cli.print(
    `the read model disagrees with the log: ${count(differences.total)} differences ` +
      `(${count(missing)} missing, ${count(unexpected)} unexpected, ${count(different)} different messages; ` +
      `${count(projects)} project revisions)`,
  );
  const shown = ordered(differences.kept).slice(0, SHOWN);
  for (const difference of shown) {
    const line = await describeDifference(cli.db.store, difference, (p) => expected.projects.get(p));
    cli.print(`  ${line}`);
  }
  if (differences.total > shown.length) cli.print(`  … and ${count(differences.total - shown.length)} more`);
  return DISAGREE;
}

const ORDER: Record<string, number> = { different: 0, missing: 1, unexpected: 2 };

function ordered(kept: Difference[]): Difference[] {
  return [...kept].sort(
    (a, b) =>
      Number(a.subject === 'project') - Number(b.subject === 'project') ||
      (ORDER[a.kind] ?? 0) - (ORDER[b.kind] ?? 0),
  );
}

/** The projects the generation holds rows of. */
async function projectsIn(client: pg.ClientBase, generation: number): Promise<string[]> {
  const { rows } = await client.query<{ project_id: string }>(
    `SELECT project_id FROM rm_projects_g${generation}`,
  );
  return rows.map((row) => row.project_id);
}

/** Runs `work` in a transaction of its own that sees the exported snapshot. */
async function inSnapshot<T>(
  cli: Cli,
  snapshot: string,
  work: (client: pg.ClientBase) => Promise<T>,
): Promise<T> {
  if (!/^[0-9A-Fa-f-]+$/.test(snapshot))
    throw new Error(`unexpected snapshot id ${JSON.stringify(snapshot)}`);
  const client = await cli.db.pool.connect();
  try {
    await client.query('BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY');
    await client.query(`SET TRANSACTION SNAPSHOT '${snapshot}'`);
    const result = await work(client);
    await client.query('COMMIT');
    return result;
  } catch (error) {
    await client.query('ROLLBACK').catch(() => undefined);
    throw error;
  } finally {
    client.release();
  }
}

async function eventsUpTo(store: EventStore, position: string | null): Promise<number> {
  if (position === null) return 0;
  return (await store.countAfter(undefined, LAG_CAP)) - (await store.countAfter(position, LAG_CAP));
}
