import pg from 'pg';
import { beginWithFirstStatement } from '../projections/projector/deferred-begin.js';
import { createTestDatabase } from './support/database.js';

/** The projector's transactions: BEGIN goes out with the first statement when it can. */
let client: pg.Client;
let sent: unknown[][];

beforeAll(async () => {
  client = new pg.Client({ connectionString: await createTestDatabase('begin') });
  await client.connect();
  const query = client.query.bind(client) as (...args: unknown[]) => unknown;
  (client as unknown as { query: (...args: unknown[]) => unknown }).query = (...args: unknown[]) => {
    sent.push(args);
    return query(...args);
  };
});
afterAll(() => client.end());
beforeEach(() => {
  sent = [];
});

/** now() is the transaction's start: the same twice, apart in time, only inside one. */
async function inTransaction(db: pg.ClientBase): Promise<boolean> {
  const first = await db.query<{ at: Date }>('SELECT now() AS at');
  await new Promise((resolve) => setTimeout(resolve, 5));
  const second = await db.query<{ at: Date }>('SELECT now() AS at');
  return first.rows[0]?.at.getTime() === second.rows[0]?.at.getTime();
}

it('sends BEGIN with a first statement of text alone, in one query, and answers what the statement alone would', async () => {
  const transaction = beginWithFirstStatement(client);
  const { rows } = await transaction.query<{ answer: number }>('SELECT 42 AS answer');
  expect(rows).toEqual([{ answer: 42 }]);
  expect(sent).toEqual([['BEGIN; SELECT 42 AS answer']]);
  expect(await inTransaction(transaction)).toBe(true);
  await client.query('ROLLBACK');
});

it('answers a first text of two statements with their two results', async () => {
  const transaction = beginWithFirstStatement(client);
  const results = (await transaction.query('SELECT 1 AS a; SELECT 2 AS b')) as unknown as pg.QueryResult[];
  expect(results.map((result) => result.rows)).toEqual([[{ a: 1 }], [{ b: 2 }]]);
  expect(sent).toHaveLength(1);
  await client.query('ROLLBACK');
});

it('sends BEGIN before a first statement with parameters, and nothing more after', async () => {
  const transaction = beginWithFirstStatement(client);
  const { rows } = await transaction.query<{ n: number }>('SELECT $1::int AS n', [7]);
  expect(rows).toEqual([{ n: 7 }]);
  expect(sent.map(([text]) => text)).toEqual(['BEGIN', 'SELECT $1::int AS n']);
  expect(await inTransaction(transaction)).toBe(true);
  expect(sent.filter(([text]) => String(text).includes('BEGIN'))).toHaveLength(1);
  await client.query('ROLLBACK');
});

it('rolls back whole: what the first statement wrote is gone', async () => {
  await client.query('CREATE TABLE IF NOT EXISTS written (n int)');
  const transaction = beginWithFirstStatement(client);
  await transaction.query('INSERT INTO written VALUES (1)');
  await client.query('ROLLBACK');
  expect((await client.query('SELECT count(*)::int AS n FROM written')).rows).toEqual([{ n: 0 }]);
});
