import pg from 'pg';
import { PROJECTOR_MIGRATIONS } from '../projections/index.js';
import { type Config } from '../src/config/config.js';
import { streamNameOf } from '../src/conversation/conversation-stream.js';
import { migrate } from '../src/database/migrations.js';
import { ErasedProjects } from '../src/erasure/erased-projects.js';
import { ProjectErasure } from '../src/erasure/project-erasure.js';
import { EVENT_STORE_MIGRATIONS } from '../src/event-store/postgres/event-store.schema.js';
import { PostgresEventStore } from '../src/event-store/postgres/postgres-event-store.js';
import { TOMBSTONES_TABLE, writeTombstone } from '../src/erasure/tombstones.js';
import { NotificationHub } from '../src/read/notifications/notification-hub.js';
import { createTestDatabase } from './support/database.js';
import { userMessagedEvent } from './support/events.js';

/**
 * What an instance remembers of erasures, against a real server: "not erased" is answered from
 * memory only while the instance hears every tombstone, and a tombstone written elsewhere (another
 * instance, the CLI) is heard.
 */
let url: string;
let pool: pg.Pool;
let elsewhere: pg.Pool;
let hub: NotificationHub;
let erased: ErasedProjects;
let lookups: number;

const tombstone = (projectId: string) =>
  writeTombstone(elsewhere, { projectId, subject: null, requestId: null });

async function until(check: () => Promise<boolean> | boolean, what: string): Promise<void> {
  const deadline = Date.now() + 5_000;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}

beforeAll(async () => {
  url = await createTestDatabase('erased');
  pool = new pg.Pool({ connectionString: url, max: 4 });
  elsewhere = new pg.Pool({ connectionString: url, max: 2 });
  await pool.query(TOMBSTONES_TABLE);
  // Counts the tombstone lookups this instance sends.
  const query = pool.query.bind(pool) as (...args: unknown[]) => unknown;
  (pool as unknown as { query: (...args: unknown[]) => unknown }).query = (...args: unknown[]) => {
    if (typeof args[0] === 'string' && args[0].includes('FROM project_tombstones')) lookups++;
    return query(...args);
  };
  hub = new NotificationHub({ databaseUrl: url } as Config);
  erased = new ErasedProjects(pool, hub);
  await hub.onModuleInit();
  await until(() => hub.standing('project_tombstoned').listening, 'the hub to listen');
});
afterAll(async () => {
  await hub.onApplicationShutdown();
  await Promise.all([pool.end(), elsewhere.end()]);
});
beforeEach(() => {
  lookups = 0;
});

it('answers "not erased" again from memory, without a lookup', async () => {
  expect(await erased.isErased('kept')).toBe(false);
  expect(lookups).toBe(1);
  expect(await erased.isErased('kept')).toBe(false);
  expect(await erased.isErased('kept')).toBe(false);
  expect(lookups).toBe(1);
});

it('answers "erased" once another instance writes the tombstone of a project it found not erased', async () => {
  expect(await erased.isErased('erased-elsewhere')).toBe(false);
  await tombstone('erased-elsewhere');
  await until(() => erased.isErased('erased-elsewhere'), 'the tombstone to be heard');
  expect(await erased.isErased('erased-elsewhere')).toBe(true);
});

it('forgets every "not erased" when its notification connection is lost, so a tombstone it could not hear still counts', async () => {
  expect(await erased.isErased('missed')).toBe(false);
  const { epoch } = hub.standing('project_tombstoned');
  await elsewhere.query(
    `SELECT pg_terminate_backend(pid) FROM pg_stat_activity
      WHERE application_name = 'notifications' AND datname = current_database()`,
  );
  await until(() => hub.standing('project_tombstoned').epoch > epoch, 'the hub to see its connection lost');
  // Written while nobody listens: its notification reaches no one.
  await tombstone('missed');
  lookups = 0;
  expect(await erased.isErased('missed')).toBe(true);
  expect(lookups).toBe(1);
  // Listening again, it remembers again.
  await until(() => hub.standing('project_tombstoned').listening, 'the hub to listen again');
  expect(await erased.isErased('kept-after')).toBe(false);
  expect(await erased.isErased('kept-after')).toBe(false);
  expect(lookups).toBe(2);
});

it('the instance that erases a project knows it at once, without waiting for the notification', async () => {
  const db = new pg.Pool({ connectionString: await createTestDatabase('erasing'), max: 4 });
  try {
    await migrate(db, [EVENT_STORE_MIGRATIONS, PROJECTOR_MIGRATIONS]);
    // A hub that never connected: no notification reaches this instance.
    const deaf = new ErasedProjects(db, new NotificationHub({ databaseUrl: url } as Config));
    const store = new PostgresEventStore(db);
    const erasure = new ProjectErasure(db, store, (projectId) => deaf.tombstoned(projectId));
    try {
      await store.append(
        streamNameOf('erased-here'),
        [userMessagedEvent('erased-here', 'hello')],
        'no_stream',
      );
      expect(deaf.isKnownErased('erased-here')).toBe(false);
      await erasure.erase({ projectId: 'erased-here', subject: null, requestId: null });
      expect(deaf.isKnownErased('erased-here')).toBe(true);
    } finally {
      await store.close();
    }
  } finally {
    await db.end();
  }
});
