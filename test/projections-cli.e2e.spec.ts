import { randomUUID } from 'node:crypto';
import pg from 'pg';
import { messagesProjection } from '../projections/messages/messages.projection.js';
import { loadGenerations, requestRebuild } from '../projections/projector/generations.js';
import { Projector } from '../projections/projector/projector.js';
import { type NewEvent } from '../src/event-store/event-store.port.js';
import { streamNameOf } from '../src/conversation/conversation-stream.js';
import { PostgresEventStore } from '../src/event-store/postgres/postgres-event-store.js';
import { createTestDatabase } from './support/database.js';
import { projectId, request } from './support/http.js';
import { freePort } from './support/ports.js';
import { type RunningService, startService } from './support/service.js';
import { userMessagedEvent } from './support/events.js';
import { type CliResult, runCli } from './support/cli.js';

/** The CLI against this file's database unless told otherwise. */
const cli = (
  args: string[],
  env: Record<string, string> = { DATABASE_URL: databaseUrl },
): Promise<CliResult> => runCli(args, env);

let databaseUrl: string;
let db: pg.Pool;
let service: RunningService | undefined;
const projects: string[] = [];
const revisions = new Map<string, number>();

async function post(path: string, body: unknown): Promise<any> {
  const res = await request(service!.baseUrl, 'POST', path, body);
  if (res.status >= 300) throw new Error(`POST ${path}: ${res.status} ${JSON.stringify(res.body)}`);
  return res.body;
}

/** A project's messages once the read model reflects `minRevision`. */
async function history(p: string, minRevision = revisions.get(p) ?? -1): Promise<unknown> {
  const res = await request(
    service!.baseUrl,
    'GET',
    `/v1/projects/${p}/messages?limit=200&minRevision=${minRevision}`,
  );
  expect(res.status).toBe(200);
  return res.body;
}

async function allHistories(): Promise<unknown[]> {
  return Promise.all(projects.map((p) => history(p)));
}

async function liveGeneration(): Promise<{ generation: number; position: string }> {
  const { rows } = await db.query(
    `SELECT generation, position FROM projection_generations WHERE name = 'messages' AND state = 'live'`,
  );
  expect(rows).toHaveLength(1);
  return rows[0];
}

beforeAll(async () => {
  databaseUrl = await createTestDatabase('projections_cli');
  db = new pg.Pool({ connectionString: databaseUrl, max: 2 });
  service = await startService({ DATABASE_URL: databaseUrl });
  for (let n = 0; n < 3; n++) {
    const p = projectId('cli');
    projects.push(p);
    await post(`/v1/projects/${p}/messages`, { content: `hello ${n}`, imageUrls: ['https://x.test/a.png'] });
    const turn = await post(`/v1/projects/${p}/turns`, {
      user: { content: `question ${n}` },
      assistant: { content: 'Generating' },
    });
    const done = await post(`/v1/projects/${p}/assistant-messages/${turn.assistant.id}/complete`, {
      content: `answer ${n}`,
    });
    revisions.set(p, done.revision);
  }
  await allHistories();
});
afterAll(async () => {
  await service?.stop();
  await db?.end();
});

describe('npm run projections -- <command>', () => {
  it('status: a table with the projection, running, at the live checkpoint, without lag', async () => {
    const { position } = await liveGeneration();
    const result = await cli(['status']);
    expect(result.code).toBe(0);
    const [header, row, ...rest] = result.stdout.trimEnd().split('\n');
    expect(header?.split(/\s{2,}/)).toEqual([
      'NAME',
      'VERSION',
      'STATUS',
      'POSITION',
      'LAG',
      'REBUILD',
      'LAST ERROR',
    ]);
    expect(row?.split(/\s{2,}/)).toEqual([
      'messages',
      String(messagesProjection.version),
      'running',
      position,
      '0',
      '-',
      '-',
    ]);
    expect(rest).toEqual([]);
  });

  it('verify: agrees with a consistent read model, exit 0', async () => {
    const result = await cli(['verify']);
    expect(result.stdout).toContain('the read model agrees with the log');
    expect(result.stdout).toMatch(/12 events read, 9 messages in 3 projects expected, 9 rows found/);
    expect(result.code).toBe(0);
  });

  it('replay of a project with no events: the read model is left as it is, and the command says so', async () => {
    const p = projectId('cli-empty');
    const before = await db.query(`SELECT count(*)::int AS n FROM rm_projects`);
    const result = await cli(['replay', p]);
    expect(result.code).toBe(0);
    expect(result.stdout).toContain(
      `conversation-${p} has no events: nothing to replay; the read model is unchanged`,
    );
    const { rows } = await db.query(`SELECT * FROM rm_projects WHERE project_id = $1`, [p]);
    expect(rows).toEqual([]);
    expect((await db.query(`SELECT count(*)::int AS n FROM rm_projects`)).rows).toEqual(before.rows);
    const verified = await cli(['verify']);
    expect(verified.stdout).toContain('the read model agrees with the log');
    expect(verified.code).toBe(0);
  });

  it('verify names tampered rows and exits non-zero; replay repairs the project; verify passes again', async () => {
    const [p, q] = projects as [string, string];
    const before = await history(p);
    await db.query(`UPDATE rm_messages SET content = 'tampered' WHERE project_id = $1 AND sequence = 0`, [p]);
    await db.query(`DELETE FROM rm_messages WHERE project_id = $1 AND sequence = 1`, [p]);
    await db.query(`UPDATE rm_projects SET revision = revision - 1 WHERE project_id = $1`, [q]);

    const found = await cli(['verify']);
    expect(found.code).toBe(3);
    expect(found.stdout).toContain('(1 missing, 0 unexpected, 1 different messages; 1 project revisions)');
    expect(found.stdout).toMatch(
      new RegExp(`different +message ${p}/0 \\([0-9a-f-]+\\): content: expected "hello 0", found "tampered"`),
    );
    expect(found.stdout).toMatch(new RegExp(`missing +message ${p}/1: user message [0-9a-f-]+ "question 0"`));
    expect(found.stdout).toMatch(new RegExp(`different +project ${q}: revision: expected 3, found 2`));

    const replayed = await cli(['replay', p]);
    expect(replayed.code).toBe(0);
    expect(replayed.stdout).toContain(`replayed conversation-${p}: removed 2 rows, applied 4 events`);
    expect(await history(p)).toEqual(before);
    expect((await cli(['verify'])).code).toBe(3); // q is still off

    expect((await cli(['replay', q])).code).toBe(0);
    const repaired = await cli(['verify']);
    expect(repaired.stdout).toContain('the read model agrees with the log');
    expect(repaired.code).toBe(0);
  });

  it('verify names a row whose stored JSON (what history shows) is not the message of its columns; replay repairs it', async () => {
    const [p] = projects as [string];
    const before = await history(p);
    await db.query(
      `UPDATE rm_messages SET doc = replace(doc, '"hello 0"', '"doctored"') WHERE project_id = $1 AND sequence = 0`,
      [p],
    );
    expect(await history(p)).not.toEqual(before);
    const found = await cli(['verify']);
    expect(found.code).toBe(3);
    expect(found.stdout).toContain('(0 missing, 0 unexpected, 1 different messages; 0 project revisions)');
    expect(found.stdout).toMatch(
      new RegExp(`different +message ${p}/0 \\([0-9a-f-]+\\): content: expected "hello 0", found "doctored"`),
    );
    expect((await cli(['replay', p])).code).toBe(0);
    expect(await history(p)).toEqual(before);
    expect((await cli(['verify'])).code).toBe(0);
  });

  it('replay while the project is being written: the projector keeps running and nothing is lost', async () => {
    const p = projectId('cli-hot');
    projects.push(p);
    let stop = false;
    let last = -1;
    const writer = async (w: number) => {
      for (let i = 0; !stop; i++) {
        const turn = await post(`/v1/projects/${p}/turns`, { user: { content: `w${w} q${i}` } });
        const done = await post(`/v1/projects/${p}/assistant-messages/${turn.assistant.id}/complete`, {
          content: `w${w} a${i}`,
        });
        last = Math.max(last, done.revision);
      }
    };
    const writers = [writer(0), writer(1), writer(2)];
    try {
      for (let i = 0; i < 5; i++) {
        const result = await cli(['replay', p]);
        expect(result.stderr).toBe('');
        expect(result.code).toBe(0);
      }
    } finally {
      stop = true;
      await Promise.all(writers);
    }
    expect(service!.output()).not.toMatch(/projector stopped|projection failed/);
    revisions.set(p, last);
    expect(((await history(p)) as { revision: number }).revision).toBe(last);
    expect((await cli(['verify'])).code).toBe(0);
    expect((await cli(['status'])).stdout).toMatch(
      new RegExp(`^messages +${messagesProjection.version} +running `, 'm'),
    );
  });

  it('rebuild with the service running: its projector builds, the command watches until the switch', async () => {
    const before = await allHistories();
    const { generation } = await liveGeneration();
    const result = await cli(['rebuild', 'messages']);
    expect(result.stderr).toContain("the running service's projector is building it");
    expect(result.stdout).toContain(
      `generation ${generation + 1} (version ${messagesProjection.version}) is live`,
    );
    expect(result.code).toBe(0);
    expect((await liveGeneration()).generation).toBe(generation + 1);
    const { rows } = await db.query(`SELECT to_regclass($1) AS old`, [`rm_messages_g${generation}`]);
    expect(rows[0].old).toBeNull();
    expect(await allHistories()).toEqual(before);
  });

  it('rebuild with the service stopped: builds in its own process, then the service serves the new generation', async () => {
    const before = await allHistories();
    const { generation } = await liveGeneration();
    await service!.stop();
    service = undefined;

    const status = await cli(['status']);
    expect(status.stdout).toMatch(new RegExp(`^messages +${messagesProjection.version} +stopped `, 'm'));
    const result = await cli(['rebuild', 'messages']);
    expect(result.stderr).toContain('no projector is running; building in this process');
    expect(result.stdout).toContain(
      `generation ${generation + 1} (version ${messagesProjection.version}) is live`,
    );
    expect(result.code).toBe(0);
    expect((await liveGeneration()).generation).toBe(generation + 1);

    service = await startService({ DATABASE_URL: databaseUrl });
    expect(await allHistories()).toEqual(before);
    expect((await cli(['verify'])).code).toBe(0);
  });

  it.each([
    [['frobnicate'], 'unknown command "frobnicate"'],
    [[], 'no command given'],
    [['rebuild'], 'rebuild: missing <name>'],
    [['rebuild', 'nosuch'], 'unknown projection "nosuch"'],
    [['replay'], 'replay: missing <projectId>'],
    [['verify', 'extra'], 'verify: unexpected argument "extra"'],
  ])('%j: exit 2 with the reason and the usage, no stack trace', async (args, reason) => {
    const result = await cli(args);
    expect(result.code).toBe(2);
    expect(result.stderr).toContain(reason);
    expect(result.stderr).toContain('Usage: npm run projections -- <command>');
    expect(result.stderr).not.toMatch(/\n\s+at /);
    expect(result.stdout).toBe('');
  });

  it('a database that cannot be reached: exit 1 with a readable message, no stack trace', async () => {
    const url = `postgres://postgres:secret@127.0.0.1:${await freePort()}/nowhere`;
    const result = await cli(['status'], { DATABASE_URL: url });
    expect(result.code).toBe(1);
    expect(result.stderr).toMatch(/^projections status failed: .*ECONNREFUSED/);
    expect(result.stderr).not.toMatch(/\n\s+at |secret/);
  });
});

describe("replay's transaction and the projector's, on one project", () => {
  it('a completion projected while a replay holds the project waits for it, then applies', async () => {
    const store = new PostgresEventStore(db);
    const p = projectId('cli-race');
    const stream = streamNameOf(p);
    const messageId = randomUUID();
    const event = (type: string, data: Record<string, unknown>): NewEvent => ({
      id: randomUUID(),
      type,
      data: { messageId, projectId: p, content: 'Generating', ...data },
      metadata: { correlationId: null, causationId: null, userId: null, schemaVersion: 1 },
    });
    await store.append(
      stream,
      [event('AssistantReserved', { replyTo: null, createdBy: null, createdAt: new Date().toISOString() })],
      'no_stream',
    );
    await store.append(
      stream,
      [
        event('AssistantCompleted', {
          content: 'done',
          status: 'success',
          completedAt: new Date().toISOString(),
        }),
      ],
      0n,
    );
    const [reserved, completed] = await store.readStream(stream);
    // The service's projector applies these too: let it finish, or it could commit between the deletes.
    await history(p, 1);
    const { generation } = await liveGeneration();
    await db.query(`DELETE FROM rm_projects_g${generation} WHERE project_id = $1`, [p]);
    await db.query(`DELETE FROM rm_messages_g${generation} WHERE project_id = $1`, [p]);
    const replaying = await db.connect();
    const projecting = new pg.Client({ connectionString: databaseUrl });
    await projecting.connect();
    try {
      await replaying.query('BEGIN');
      await messagesProjection.apply(replaying, [reserved!], generation);
      await replaying.query('COMMIT');

      // The replay has read the stream before the completion; the projector applies the completion.
      await replaying.query('BEGIN');
      expect(await messagesProjection.forget!(replaying, generation, stream)).toBe(1);
      await messagesProjection.apply(replaying, [reserved!], generation);
      await projecting.query('BEGIN');
      const projected = messagesProjection.apply(projecting, [completed!], generation);
      await new Promise((resolve) => setTimeout(resolve, 300));
      await replaying.query('COMMIT');
      await projected;
      await projecting.query('COMMIT');
    } finally {
      await replaying.query('ROLLBACK').catch(() => undefined);
      replaying.release();
      await projecting.end();
    }
    const { rows } = await db.query(
      `SELECT m.status, m.content, m.revision, p.revision AS project_revision
         FROM rm_messages_g${generation} m JOIN rm_projects_g${generation} p USING (project_id)
        WHERE m.project_id = $1`,
      [p],
    );
    expect(rows).toEqual([{ status: 'success', content: 'done', revision: '1', project_revision: '1' }]);
  });
});

describe('status with a failed projection', () => {
  it('still prints the table, with the last error, and exits 1', async () => {
    const url = await createTestDatabase('projections_cli_failed');
    const healthy = await cli(['status'], { DATABASE_URL: url }); // also sets the schema up
    expect(healthy.stdout).toMatch(new RegExp(`^messages +${messagesProjection.version} +stopped `, 'm'));
    expect(healthy.code).toBe(0);

    const pool = new pg.Pool({ connectionString: url, max: 4 });
    const store = new PostgresEventStore(pool);
    const projector = new Projector(url, store, messagesProjection, { pollMs: 50, standbyRetryMs: 100 });
    try {
      const p = projectId('cli-poison');
      const event = (content: unknown) => userMessagedEvent(p, content);
      await store.append(streamNameOf(p), [event('fine'), event(42)], 'no_stream');
      projector.start();
      const failed = async (state: 'live' | 'building') => {
        const deadline = Date.now() + 10_000;
        const stopped = async () =>
          (await loadGenerations(pool, 'messages')).some((g) => g.state === state && g.failed);
        while (!(await stopped()) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
        expect(await stopped()).toBe(true);
      };
      await failed('live');

      const result = await cli(['status'], { DATABASE_URL: url });
      expect(result.stdout).toMatch(
        new RegExp(
          `^messages +${messagesProjection.version} +failed +\\S+ +1 +- +.*conversation-${p}@1`,
          'm',
        ),
      );
      expect(result.stderr).toContain('messages has failed');
      expect(result.code).toBe(1);

      // A rebuild that stops at the same event does not hide the failure.
      const client = await pool.connect();
      await requestRebuild(client, messagesProjection).finally(() => client.release());
      await failed('building');
      const again = await cli(['status'], { DATABASE_URL: url });
      expect(again.stdout).toMatch(new RegExp(`^messages +${messagesProjection.version} +failed `, 'm'));
      expect(again.code).toBe(1);
    } finally {
      await projector.stop();
      await pool.end();
    }
  });
});
