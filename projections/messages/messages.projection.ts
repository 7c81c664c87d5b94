import type pg from 'pg';
import { projectIdOf } from '../../src/conversation/conversation-stream.js';
import { PROJECT_LOCK_CLASS, REPLAY_LOCK_CLASS } from '../../src/database/advisory-locks.js';
import { type ConversationEvent } from '../../src/conversation/conversation.events.js';
import { upcast } from '../../src/conversation/conversation.upcast.js';
import { applyToMessage, type Message } from '../../src/conversation/message.js';
import type { RecordedEvent } from '../../src/event-store/event-store.port.js';
import { type AppliedChanges, PoisonEventError, type Projection } from '../projection.js';
import {
  type Activity,
  createActivityTable,
  forgetActivity,
  upgradeActivityTable,
  noteActivity,
  activityCtes,
  ACTIVITY_RETENTION_SECONDS,
} from './project-activity.js';
import { messageJsonSql } from './message-row.js';

/**
 * The ordered messages of every conversation (`rm_messages`) and the stream revision each
 * project's rows reflect (`rm_projects`), for history queries, ETags and minRevision.
 */
export const messagesProjection: Projection = {
  name: 'messages',
  // 2: message kinds (imported history), message metadata, streamed deltas, and the projects list
  // (counts, activity). 3: the projects list's index of current places in ascending order, which
  // stays compact as places are added at its end (see project-activity.ts). 4: each message's JSON
  // kept in its row (`doc`), so that a page of history is its rows' JSON joined.
  version: 4,

  createTables: (g) => `
    CREATE TABLE rm_messages_g${g} (
      project_id text NOT NULL,
      sequence bigint NOT NULL,
      id uuid NOT NULL,
      role text NOT NULL,
      kind text NOT NULL,
      status text NOT NULL,
      content text NOT NULL,
      image_urls jsonb NOT NULL,
      reply_to uuid,
      created_at timestamptz NOT NULL,
      updated_at timestamptz,
      created_by text,
      revision bigint NOT NULL,
      metadata jsonb NOT NULL DEFAULT '{}',
      -- The message's JSON as the API shows it (messageJsonSql), written with the row; NULL while a
      -- reply is streamed (it changes with every piece), and then rendered when read.
      doc text,
      PRIMARY KEY (project_id, sequence)
    );
    CREATE UNIQUE INDEX rm_messages_g${g}_id ON rm_messages_g${g} (project_id, id);
    CREATE TABLE rm_projects_g${g} (
      project_id text PRIMARY KEY,
      revision bigint NOT NULL,
      message_count bigint NOT NULL DEFAULT 0,
      created_at timestamptz,
      last_message_at timestamptz
    );
    ${createActivityTable(g)}`,

  activate: (g) => `
    DROP VIEW IF EXISTS rm_messages, rm_projects, rm_project_activity;
    CREATE VIEW rm_messages AS SELECT * FROM rm_messages_g${g};
    CREATE VIEW rm_projects AS SELECT * FROM rm_projects_g${g};
    CREATE VIEW rm_project_activity AS SELECT * FROM rm_project_activity_g${g};`,

  upgradeTables: (g) => `
    ALTER TABLE rm_messages_g${g}
      ADD COLUMN IF NOT EXISTS kind text NOT NULL DEFAULT 'message',
      ADD COLUMN IF NOT EXISTS metadata jsonb NOT NULL DEFAULT '{}',
      ADD COLUMN IF NOT EXISTS doc text;
    ALTER TABLE rm_projects_g${g}
      ADD COLUMN IF NOT EXISTS message_count bigint NOT NULL DEFAULT 0,
      ADD COLUMN IF NOT EXISTS created_at timestamptz,
      ADD COLUMN IF NOT EXISTS last_message_at timestamptz;
    ${upgradeActivityTable(g)}`,

  dropTables: (g) =>
    `DROP TABLE IF EXISTS rm_messages_g${g}, rm_projects_g${g}, rm_project_activity_g${g};
     DROP SEQUENCE IF EXISTS rm_project_activity_g${g}_seq`,

  async apply(client, events, g): Promise<AppliedChanges> {
    const inLog = events.flatMap((recorded) => {
      const projectId = projectIdOf(recorded.streamName);
      return projectId === undefined ? [] : [{ recorded, projectId }];
    });
    const touched = [...new Set(inLog.map((event) => event.projectId))];
    // Read under the projects' locks: an erasure that has not removed their rows yet waits for
    // this batch to commit and then removes what it wrote; one that has, left its tombstone,
    // which is then seen here. Events read before the log was erased never come back either way.
    const { erased, revisions } = await holdAndRead(client, g, touched);
    const conversationEvents = inLog.filter((event) => !erased.has(event.projectId));
    const projects = touched.filter((projectId) => !erased.has(projectId));
    const created = new Map<string, Message>();
    const completed = new Map<string, Completion>();
    const streamed = new Map<string, Streamed>();
    const activity = new Map<string, Activity>();
    const appliedHere = new Set<string>();

    const skipped: Skipped[] = [];
    for (const { recorded, projectId } of conversationEvents) {
      const revision = Number(recorded.revision);
      const reached = revisions.get(projectId) ?? -1;
      if (revision <= reached) {
        // Applied before (a replay ran ahead of the checkpoint, or a batch is applied again), which
        // the rows must then show; an earlier revision after a later one in this very batch never is.
        if (appliedHere.has(projectId)) throw new RevisionWentBackwardsError(recorded, reached);
        skipped.push({ recorded, event: parse(recorded, projectId), projectId, revision, reached });
        continue;
      }
      appliedHere.add(projectId);
      const event = parse(recorded, projectId);
      const key = `${projectId}/${event.data.messageId}`;
      const pending = created.get(key);
      if (pending) {
        created.set(key, applyToMessage(pending, event, revision));
      } else if (event.type === 'AssistantCompleted') {
        // The completion's content replaces whatever was streamed before it.
        streamed.delete(key);
        completed.set(key, { ...event.data, recorded, revision });
      } else if (event.type === 'AssistantDeltaAppended') {
        const before = streamed.get(key);
        streamed.set(key, {
          ...event.data,
          delta: (before?.delta ?? '') + event.data.delta,
          recorded,
          revision,
        });
      } else {
        created.set(key, applyToMessage(undefined, event, revision));
      }
      noteActivity(activity, projectId, event);
      revisions.set(projectId, revision);
    }

    await checkReflected(client, g, skipped);
    await appendDeltas(client, g, [...streamed.values()]);
    await completeMessages(client, g, [...completed.values()]);
    await writeBatch(client, g, [...created.values()], projects, revisions, activity);
    return { revisions: new Map(projects.map((p) => [p, revisions.get(p) ?? -1])) };
  },

  async forget(client, g, streamName): Promise<number> {
    const projectId = projectIdOf(streamName);
    if (projectId === undefined) return 0;
    // Batches of this project being applied finish first, and the next one waits until the replay
    // has committed, so it reads the replayed revision and skips what the replay applied.
    await holdProjectAlone(client, g, projectId);
    await client.query(
      `INSERT INTO rm_projects_g${g} (project_id, revision) VALUES ($1, -1) ON CONFLICT DO NOTHING`,
      [projectId],
    );
    const removed = await client.query(`DELETE FROM rm_messages_g${g} WHERE project_id = $1`, [projectId]);
    await client.query(
      `UPDATE rm_projects_g${g} SET revision = -1, message_count = 0, created_at = NULL, last_message_at = NULL
        WHERE project_id = $1`,
      [projectId],
    );
    await forgetActivity(client, g, projectId);
    return removed.rowCount ?? 0;
  },

  async erase(client, g, streamName): Promise<number> {
    const projectId = projectIdOf(streamName);
    if (projectId === undefined) return 0;
    await holdProjectAlone(client, g, projectId);
    const messages = await client.query(`DELETE FROM rm_messages_g${g} WHERE project_id = $1`, [projectId]);
    const project = await client.query(`DELETE FROM rm_projects_g${g} WHERE project_id = $1`, [projectId]);
    await forgetActivity(client, g, projectId);
    return (messages.rowCount ?? 0) + (project.rowCount ?? 0);
  },
};

/**
 * Holds one project of a generation against every batch until the caller's transaction ends:
 * batches of it under way finish first, later ones wait. Batches of other projects go on.
 */
async function holdProjectAlone(client: pg.ClientBase, g: number, projectId: string): Promise<void> {
  await client.query('SELECT pg_advisory_xact_lock_shared($1, $2)', [REPLAY_LOCK_CLASS, g]);
  await client.query('SELECT pg_advisory_xact_lock($1, hashtext($2))', [
    PROJECT_LOCK_CLASS,
    `${g}/${projectId}`,
  ]);
}

interface Completion {
  recorded: RecordedEvent;
  projectId: string;
  messageId: string;
  content: string;
  status: string;
  completedAt: string;
  metadata: Record<string, unknown>;
  revision: number;
}

/** The deltas a batch appends to one message it did not create: one string, appended once. */
interface Streamed {
  recorded: RecordedEvent;
  projectId: string;
  messageId: string;
  delta: string;
  revision: number;
}

interface Skipped {
  recorded: RecordedEvent;
  event: ConversationEvent;
  projectId: string;
  revision: number;
  reached: number;
}

/**
 * A stream's revisions must reach the projection in increasing order. An event at or below the
 * revision a project's rows reflect is skipped only if the rows show it; otherwise the global log
 * delivered it out of order, and the projection stops on it rather than lose it.
 */
export class RevisionWentBackwardsError extends PoisonEventError {
  constructor(recorded: RecordedEvent, reached: number) {
    super(
      recorded,
      `revision ${recorded.revision} arrived after revision ${reached} of the same stream had been projected, and is not in the read model`,
    );
  }
}

async function checkReflected(client: pg.ClientBase, g: number, skipped: Skipped[]): Promise<void> {
  if (skipped.length === 0) return;
  const { rows } = await client.query<{ found: boolean }>(
    `SELECT EXISTS (
              SELECT 1 FROM rm_messages_g${g} m
               WHERE m.project_id = s.project_id AND m.id = s.id
                 AND (CASE WHEN s.creation THEN m.sequence = s.revision ELSE m.revision >= s.revision END)
            ) AS found
       FROM unnest($1::text[], $2::uuid[], $3::boolean[], $4::bigint[]) WITH ORDINALITY
            AS s(project_id, id, creation, revision, n)
      ORDER BY s.n`,
    [
      skipped.map((s) => s.projectId),
      skipped.map((s) => s.event.data.messageId),
      skipped.map((s) => s.event.type === 'UserMessaged' || s.event.type === 'AssistantReserved'),
      skipped.map((s) => s.revision),
    ],
  );
  const lost = skipped.find((_, index) => rows[index]?.found !== true);
  if (lost) throw new RevisionWentBackwardsError(lost.recorded, lost.reached);
}

/**
 * Keeps a replay or an erasure away from these projects until the caller's transaction ends (and
 * waits for one under way on any of them), then reads which were erased and the revision the
 * others are projected to, under those locks. When none runs in the generation, one lock stands
 * for all, and the read goes out with it (and with the projector's BEGIN) in one round trip, as a
 * statement of its own: it starts once the lock is held, with a snapshot of its own. Otherwise
 * each project is held shared, and read again once held.
 */
async function holdAndRead(client: pg.ClientBase, g: number, projects: string[]): Promise<ProjectsNow> {
  if (projects.length === 0) return { erased: new Set(), revisions: new Map() };
  // Text alone, values written in as literals: a simple query may carry several statements.
  const list = `ARRAY[${projects.map((projectId) => client.escapeLiteral(projectId)).join(', ')}]::text[]`;
  const results = (await client.query(
    `SELECT pg_try_advisory_xact_lock(${Math.trunc(REPLAY_LOCK_CLASS)}, ${Math.trunc(g)}) AS alone;
     ${projectsNowSql(g, list)}`,
  )) as unknown as [pg.QueryResult<{ alone: boolean }>, pg.QueryResult<ProjectRow>];
  if (results[0].rows[0]?.alone) return projectsFrom(results[1].rows);
  await client.query(
    `SELECT pg_advisory_xact_lock_shared($1, hashtext($2 || '/' || p))
       FROM unnest($3::text[]) AS p`,
    [PROJECT_LOCK_CLASS, String(g), projects],
  );
  const { rows } = await client.query<ProjectRow>(projectsNowSql(g, '$1::text[]'), [projects]);
  return projectsFrom(rows);
}

function parse(recorded: RecordedEvent, projectId: string) {
  try {
    const event = upcast(recorded);
    if (event.data.projectId !== projectId) throw new Error(`data.projectId is not ${projectId}`);
    return event;
  } catch (error) {
    throw new PoisonEventError(recorded, error instanceof Error ? error.message : String(error));
  }
}

interface ProjectsNow {
  erased: Set<string>;
  revisions: Map<string, number>;
}

interface ProjectRow {
  project_id: string;
  revision: string | null;
  erased: boolean;
}

/** Which of the projects (`list`, a text[] expression) were erased, and the revision of the others. */
function projectsNowSql(g: number, list: string): string {
  return `SELECT p.project_id, r.revision, t.project_id IS NOT NULL AS erased
            FROM unnest(${list}) AS p(project_id)
            LEFT JOIN rm_projects_g${Math.trunc(g)} r ON r.project_id = p.project_id
            LEFT JOIN project_tombstones t ON t.project_id = p.project_id`;
}

function projectsFrom(rows: readonly ProjectRow[]): ProjectsNow {
  const erased = new Set<string>();
  const revisions = new Map<string, number>();
  for (const row of rows) {
    if (row.erased) erased.add(row.project_id);
    else if (row.revision !== null) revisions.set(row.project_id, Number(row.revision));
  }
  return { erased, revisions };
}

/**
 * New messages as rows (the parameter `json`, one JSON document of Message objects): JSON.stringify
 * and PostgreSQL's JSON parser are cheaper than a dozen array literals escaped element by element
 * (this is the rebuild's hot path). No ON CONFLICT: the revision check under the project's row
 * lock already keeps an event from being applied twice, so a conflict here would be a bug, and it
 * stops the projection loudly instead of hiding.
 */
function insertMessagesSql(g: number, json: string): string {
  return `INSERT INTO rm_messages_g${g}
       (project_id, sequence, id, role, kind, status, content, image_urls, reply_to, created_at, updated_at,
        created_by, revision, metadata, doc)
     SELECT m."projectId", m.sequence, m.id, m.role, m.kind, m.status, m.content, m."imageUrls", m."replyTo",
            m."createdAt", m."updatedAt", m."createdBy", m.revision, m.metadata, ${INSERTED_DOC}
       FROM jsonb_to_recordset(${json}::jsonb) AS m("projectId" text, sequence bigint, id uuid, role text, kind text,
            status text, content text, "imageUrls" jsonb, "replyTo" uuid, "createdAt" timestamptz,
            "updatedAt" timestamptz, "createdBy" text, revision bigint, metadata jsonb)`;
}

/** New messages as rows, in a statement of their own (insertMessagesSql). */
export async function insertMessages(client: pg.ClientBase, g: number, messages: Message[]): Promise<void> {
  if (messages.length === 0) return;
  await client.query(insertMessagesSql(g, '$1'), [JSON.stringify(messages)]);
}

/** A message's doc, from the recordset of insertMessagesSql (a Message's JSON names). */
const INSERTED_DOC = messageJsonSql(
  (column) => `m."${column.replace(/_(.)/g, (_, letter: string) => letter.toUpperCase())}"`,
);

/** The projects' revisions, counts and instants, from five arrays starting at parameter `$first`. */
function saveRevisionsSql(g: number, first: number): string {
  const [ids, revisions, counts, created, last] = [0, 1, 2, 3, 4].map((i) => `$${first + i}`);
  return `INSERT INTO rm_projects_g${g} AS p (project_id, revision, message_count, created_at, last_message_at)
     SELECT * FROM unnest(${ids}::text[], ${revisions}::bigint[], ${counts}::bigint[], ${created}::timestamptz[],
                          ${last}::timestamptz[])
     ON CONFLICT (project_id) DO UPDATE
        SET revision = GREATEST(p.revision, excluded.revision),
            message_count = p.message_count + excluded.message_count,
            created_at = coalesce(p.created_at, excluded.created_at),
            last_message_at = coalesce(excluded.last_message_at, p.last_message_at)`;
}

/**
 * A batch's new messages, its projects' revisions and their places in the projects list: one
 * statement, one round trip (the three touch different tables, so none needs to see another's
 * rows). The same text for every batch of a generation, so it is prepared once per connection.
 */
function writeBatchSql(g: number): string {
  return `WITH messages AS (${insertMessagesSql(g, '$1')}),
               projects AS (${saveRevisionsSql(g, 2)}),
               ${activityCtes(g, '$7', '$8')}
          SELECT 1`;
}

async function writeBatch(
  client: pg.ClientBase,
  g: number,
  messages: Message[],
  projects: string[],
  revisions: Map<string, number>,
  activity: Map<string, Activity>,
): Promise<void> {
  const changed = projects.filter((p) => revisions.has(p));
  if (messages.length === 0 && changed.length === 0 && activity.size === 0) return;
  const active = changed.map((p) => activity.get(p));
  await client.query({
    name: `rm_write_batch_g${g}`,
    text: writeBatchSql(g),
    values: [
      JSON.stringify(messages),
      changed,
      changed.map((p) => revisions.get(p)),
      active.map((a) => a?.created ?? 0),
      active.map((a) => a?.firstAt ?? null),
      active.map((a) => a?.lastAt ?? null),
      [...activity.keys()],
      ACTIVITY_RETENTION_SECONDS,
    ],
  });
}

/** A completed message's doc: the columns the completion sets, as it sets them; the others as they are. */
const COMPLETED_DOC = messageJsonSql(
  (column) =>
    ({
      status: 'u.status',
      content: 'u.content',
      updated_at: 'u.completed_at',
      revision: 'u.revision',
      metadata: '(m.metadata || u.metadata)',
    })[column] ?? `m.${column}`,
);

/** A completion of a message this read model does not hold means the log and it disagree. */
async function completeMessages(client: pg.ClientBase, g: number, completions: Completion[]): Promise<void> {
  if (completions.length === 0) return;
  const { rows } = await client.query<{ project_id: string; id: string }>(
    `UPDATE rm_messages_g${g} m
        SET status = u.status, content = u.content, updated_at = u.completed_at, revision = u.revision,
            metadata = m.metadata || u.metadata, doc = ${COMPLETED_DOC}
       FROM unnest($1::text[], $2::uuid[], $3::text[], $4::text[], $5::timestamptz[], $6::bigint[], $7::jsonb[])
            AS u(project_id, id, status, content, completed_at, revision, metadata)
      WHERE m.project_id = u.project_id AND m.id = u.id AND m.role = 'assistant'
      RETURNING m.project_id, m.id`,
    [
      completions.map((c) => c.projectId),
      completions.map((c) => c.messageId),
      completions.map((c) => c.status),
      completions.map((c) => c.content),
      completions.map((c) => c.completedAt),
      completions.map((c) => c.revision),
      completions.map((c) => JSON.stringify(c.metadata)),
    ],
  );
  const found = new Set(rows.map((row) => `${row.project_id}/${row.id}`));
  const missing = completions.find((c) => !found.has(`${c.projectId}/${c.messageId.toLowerCase()}`));
  if (missing)
    throw new PoisonEventError(
      missing.recorded,
      'completes an assistant message the read model does not hold',
    );
}

/**
 * Deltas go onto the end of the stored content: a reply costs what its text costs, however many
 * pieces it came in, since a batch joins a message's deltas into one append.
 */
async function appendDeltas(client: pg.ClientBase, g: number, streamed: Streamed[]): Promise<void> {
  if (streamed.length === 0) return;
  const { rows } = await client.query<{ project_id: string; id: string }>(
    `UPDATE rm_messages_g${g} m
        SET content = m.content || u.delta, revision = u.revision, doc = NULL
       FROM unnest($1::text[], $2::uuid[], $3::text[], $4::bigint[]) AS u(project_id, id, delta, revision)
      WHERE m.project_id = u.project_id AND m.id = u.id AND m.role = 'assistant' AND m.status = 'pending'
      RETURNING m.project_id, m.id`,
    [
      streamed.map((s) => s.projectId),
      streamed.map((s) => s.messageId),
      streamed.map((s) => s.delta),
      streamed.map((s) => s.revision),
    ],
  );
  const found = new Set(rows.map((row) => `${row.project_id}/${row.id}`));
  const missing = streamed.find((s) => !found.has(`${s.projectId}/${s.messageId.toLowerCase()}`));
  if (missing)
    throw new PoisonEventError(missing.recorded, 'streams to a message the read model does not hold pending');
}
