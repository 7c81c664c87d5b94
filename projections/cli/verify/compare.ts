import { isDeepStrictEqual } from 'node:util';
import type pg from 'pg';
import { type Message } from '../../../src/conversation/message.js';
import type { EventStore } from '../../../src/event-store/event-store.port.js';
import { MESSAGE_COLUMNS, type MessageRow, toMessage } from '../../messages/message-row.js';
import { quote } from '../format.js';
import { fieldDifferences, messageDigest } from './digest.js';
import { expectedMessage, type ExpectedModel } from './expected.js';

export type DifferenceKind = 'missing' | 'unexpected' | 'different';

export type Difference =
  | { subject: 'message'; kind: DifferenceKind; projectId: string; sequence: number; actual?: Message }
  | { subject: 'project'; kind: DifferenceKind; projectId: string; expected?: number; actual?: number };

/** Every difference counted; only the first few of each kind kept to show. */
export class Differences {
  readonly counts = { missing: 0, unexpected: 0, different: 0, projects: 0 };
  readonly kept: Difference[] = [];
  private readonly keptByKind = new Map<string, number>();

  constructor(private readonly keep: number) {}

  get total(): number {
    const { missing, unexpected, different, projects } = this.counts;
    return missing + unexpected + different + projects;
  }

  add(difference: Difference): void {
    if (difference.subject === 'project') this.counts.projects++;
    else this.counts[difference.kind]++;
    const kind = `${difference.subject} ${difference.kind}`;
    const kept = this.keptByKind.get(kind) ?? 0;
    if (kept >= this.keep) return;
    this.keptByKind.set(kind, kept + 1);
    this.kept.push(difference);
  }
}

const FETCH = 5_000;

async function hasColumn(client: pg.ClientBase, table: string, column: string): Promise<boolean> {
  const { rows } = await client.query(
    'SELECT 1 FROM pg_attribute WHERE attrelid = to_regclass($1) AND attname = $2 AND NOT attisdropped',
    [table, column],
  );
  return rows.length > 0;
}

/**
 * Compares the rows of one generation with what the log says, inside the caller's transaction
 * (one snapshot with the checkpoint). Rows are read through a cursor, and what they match is
 * taken out of `expected`; what remains there was missing. Erased projects are left out on both
 * sides: an erasure that came after the snapshot removed their events from the log, not their rows
 * from the snapshot.
 */
export async function compareReadModel(
  client: pg.ClientBase,
  generation: number,
  expected: ExpectedModel,
  differences: Differences,
  erased: ReadonlySet<string>,
): Promise<{ rows: number }> {
  let rows = 0;
  // A generation written before rows kept their JSON has no `doc` (until it is upgraded).
  const docs = await hasColumn(client, `rm_messages_g${generation}`, 'doc');
  for await (const page of cursor<MessageRow & { doc?: string | null }>(
    client,
    `SELECT ${MESSAGE_COLUMNS}${docs ? ', doc' : ''} FROM rm_messages_g${generation}`,
  )) {
    for (const row of page) {
      if (erased.has(row.project_id)) continue;
      rows++;
      const actual = toMessage(row);
      const { projectId, sequence } = actual;
      const digest = expected.messages.take(projectId, sequence);
      // What history pages show of the row: its JSON, which must be the message its columns hold.
      const shown = row.doc == null ? actual : (JSON.parse(row.doc) as Message);
      if (digest === undefined)
        differences.add({ subject: 'message', kind: 'unexpected', projectId, sequence, actual });
      else if (digest !== messageDigest(actual))
        differences.add({ subject: 'message', kind: 'different', projectId, sequence, actual });
      else if (!isDeepStrictEqual(shown, actual))
        differences.add({ subject: 'message', kind: 'different', projectId, sequence, actual: shown });
    }
  }
  for (const { projectId, sequence } of expected.messages.keys()) {
    if (erased.has(projectId)) continue;
    differences.add({ subject: 'message', kind: 'missing', projectId, sequence });
  }

  const projects = new Map(expected.projects);
  for await (const page of cursor<{ project_id: string; revision: string }>(
    client,
    `SELECT project_id, revision FROM rm_projects_g${generation}`,
  )) {
    for (const row of page) {
      if (erased.has(row.project_id)) continue;
      const actual = Number(row.revision);
      const wanted = projects.get(row.project_id);
      projects.delete(row.project_id);
      if (wanted === actual) continue;
      differences.add({
        subject: 'project',
        kind: wanted === undefined ? 'unexpected' : 'different',
        projectId: row.project_id,
        expected: wanted,
        actual,
      });
    }
  }
  for (const [projectId, revision] of projects) {
    if (erased.has(projectId)) continue;
    differences.add({ subject: 'project', kind: 'missing', projectId, expected: revision });
  }
  return { rows };
}

/**
 * One line per difference. Only digests were kept, so the message the log expects is folded
 * again from its project's stream, up to the revision the checkpoint covers.
 */
export async function describeDifference(
  store: EventStore,
  difference: Difference,
  revisionOf: (projectId: string) => number | undefined,
): Promise<string> {
  const kind = difference.kind.padEnd(10);
  if (difference.subject === 'project') {
    const subject = `project ${difference.projectId}`;
    switch (difference.kind) {
      case 'missing':
        return `${kind} ${subject}: no revision row, the log is at revision ${difference.expected}`;
      case 'unexpected':
        return `${kind} ${subject}: revision ${difference.actual}, but the log has no event of it`;
      case 'different':
        return `${kind} ${subject}: revision: expected ${difference.expected}, found ${difference.actual}`;
    }
  }
  const subject = `message ${difference.projectId}/${difference.sequence}`;
  const revision = revisionOf(difference.projectId);
  const expected =
    difference.kind === 'unexpected' || revision === undefined
      ? undefined
      : await expectedMessage(store, difference.projectId, difference.sequence, revision);
  if (difference.kind === 'unexpected' || !expected)
    return `${kind} ${subject}: ${summary(difference.actual)} is not in the log`;
  if (difference.kind === 'missing' || !difference.actual)
    return `${kind} ${subject}: ${summary(expected)} has no row`;
  const fields = fieldDifferences(expected, difference.actual).map(
    (d) => `${d.field}: expected ${quote(d.expected)}, found ${quote(d.actual)}`,
  );
  return `${kind} ${subject} (${expected.id}): ${fields.join('; ') || 'differs'}`;
}

function summary(message: Message | undefined): string {
  return message ? `${message.role} message ${message.id} ${quote(message.content, 40)}` : 'a message';
}

let cursors = 0;

async function* cursor<Row extends pg.QueryResultRow>(
  client: pg.ClientBase,
  sql: string,
): AsyncGenerator<Row[]> {
  const name = `verify_${++cursors}`;
  await client.query(`DECLARE ${name} NO SCROLL CURSOR FOR ${sql}`);
  for (;;) {
    const { rows } = await client.query<Row>(`FETCH ${FETCH} FROM ${name}`);
    if (rows.length === 0) break;
    yield rows;
  }
  await client.query(`CLOSE ${name}`);
}
