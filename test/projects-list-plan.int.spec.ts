import pg from 'pg';
import { PROJECTOR_MIGRATIONS } from '../projections/index.js';
import { messagesProjection } from '../projections/messages/messages.projection.js';
import { recordActivity } from '../projections/messages/project-activity.js';
import { ensureLiveGeneration, loadGenerations } from '../projections/projector/generations.js';
import { migrate } from '../src/database/migrations.js';
import { EVENT_STORE_MIGRATIONS } from '../src/event-store/postgres/event-store.schema.js';
import { ListProjects, pageQuery } from '../src/read/projects/list-projects.query.js';
import { type ListingCursor } from '../src/read/projects/projects-cursor.js';
import { createTestDatabase } from './support/database.js';
import { type SeededProjects, seedProjects } from './support/project-activity.js';

/**
 * GET /v1/projects at a million projects: the plans PostgreSQL runs for the list's own statement
 * read a page's worth of rows, whatever the table's size. Checked on the rows each plan node
 * actually read (EXPLAIN ANALYZE), not on timings, both as planned for the values at hand and as
 * the generic plan a prepared statement may settle on.
 */

const PROJECTS = 1_000_000;
const PREFIX = 'p';
const LIMIT = 50;
/** Rows a page may read per plan node: its current places, its replaced ones, their projects. */
const MOST_ROWS_PER_NODE = 3 * (LIMIT + 1);
/** Projects moved to the front before the listing began: replaced places it must not read. */
const MOVED_BEFORE = 20_000;
/** Projects active again and again before the listing began, leaving replaced places at the front. */
const HOT_PROJECTS = 20;
const HOT_ROUNDS = 500;
/** Projects moved to the front while the listing pages: their old places it reads. */
const MOVED_DURING = 10;

let pool: pg.Pool;
let seeded: SeededProjects;
let generation: number;
/** The listing's cursor midway through the list, as its first page saw it. */
let midway: ListingCursor;

beforeAll(async () => {
  pool = new pg.Pool({ connectionString: await createTestDatabase('projects_plan'), max: 4 });
  await migrate(pool, [EVENT_STORE_MIGRATIONS, PROJECTOR_MIGRATIONS]);
  const client = await pool.connect();
  await ensureLiveGeneration(client, messagesProjection).finally(() => client.release());
  generation = (await loadGenerations(pool, 'messages'))[0]?.generation ?? 0;
  seeded = await seedProjects(pool, PREFIX, PROJECTS);
  await move(movedBefore);
  // A few busy conversations, each active over and over: the newest places are mostly replaced.
  for (let round = 0; round < HOT_ROUNDS; round++) await move(hot);
  // Just past a project that moves while the listing pages: the page must find it at its old place.
  const after = placeOf(movedDuring[MOVED_DURING / 2] as string) + 10;
  midway = { asOf: await newestPlace(), after, issuedAt: Date.now() };
  await move(movedDuring);
  await pool.query(`ANALYZE rm_project_activity_g${generation}`);
}, 180_000);
afterAll(async () => pool?.end());

/** `count` project ids spread evenly over the whole list, the oldest places included. */
function spread(count: number): string[] {
  const step = Math.floor(PROJECTS / count);
  return Array.from({ length: count }, (_, i) => `${PREFIX}${1 + i * step + (count % 7)}`);
}

const movedBefore = spread(MOVED_BEFORE);
const movedDuring = spread(MOVED_DURING);
const hot = Array.from({ length: HOT_PROJECTS }, (_, i) => `${PREFIX}${PROJECTS - i}`);

/** Where the seeding placed a project. */
function placeOf(projectId: string): number {
  return seeded.firstSeq + Number(projectId.slice(PREFIX.length)) - 1;
}

/** Moves the projects to the front, as the projector does when they are active. */
async function move(projectIds: string[]): Promise<void> {
  const client = await pool.connect();
  try {
    await recordActivity(client, generation, projectIds);
  } finally {
    client.release();
  }
}

async function newestPlace(): Promise<number> {
  const { rows } = await pool.query<{ seq: string }>('SELECT max(seq) AS seq FROM rm_project_activity');
  return Number(rows[0]?.seq);
}

interface PlanNode {
  'Node Type': string;
  'Relation Name'?: string;
  'Index Name'?: string;
  'Actual Rows': number;
  'Actual Loops': number;
  'Rows Removed by Filter'?: number;
  'Rows Removed by Index Recheck'?: number;
  Plans?: PlanNode[];
}

function nodesOf(node: PlanNode): PlanNode[] {
  return [node, ...(node.Plans ?? []).flatMap(nodesOf)];
}

/** Every row a node looked at, including those its filter then dropped, over all its loops. */
function rowsRead(node: PlanNode): number {
  const looked =
    node['Actual Rows'] +
    (node['Rows Removed by Filter'] ?? 0) +
    (node['Rows Removed by Index Recheck'] ?? 0);
  return looked * node['Actual Loops'];
}

/** A node and what it read, for a failure message that shows the plan. */
function described(node: PlanNode): string {
  const on = node['Index Name'] ?? node['Relation Name'] ?? '';
  return `${node['Node Type']}${on ? ` on ${on}` : ''}: ${rowsRead(node)} rows`;
}

/** EXECUTE takes its arguments as SQL, not as bound parameters. */
function literal(client: pg.ClientBase, value: unknown): string {
  if (value === null) return 'NULL';
  if (Array.isArray(value))
    return `ARRAY[${value.map((item) => client.escapeLiteral(String(item))).join(', ')}]::text[]`;
  return client.escapeLiteral(String(value));
}

/** The plan, run, of the list's statement for `query`, planned for its values or generically. */
async function explain(query: ListProjects, plan: 'custom' | 'generic'): Promise<PlanNode> {
  const { text, values } = pageQuery(query);
  const client = await pool.connect();
  try {
    await client.query(`SET plan_cache_mode = force_${plan}_plan`);
    await client.query(`PREPARE page AS ${text}`);
    const literals = (values ?? []).map((value) => literal(client, value)).join(', ');
    const { rows } = await client.query<{ 'QUERY PLAN': [{ Plan: PlanNode }] }>(
      `EXPLAIN (ANALYZE, FORMAT JSON) EXECUTE page(${literals})`,
    );
    return rows[0]?.['QUERY PLAN'][0].Plan as PlanNode;
  } finally {
    await client.query('DEALLOCATE ALL; RESET plan_cache_mode');
    client.release();
  }
}

/**
 * No node reads the table through, or more rows than a few pages: a sort is then of a page's rows
 * too, since it sorts what the nodes below it read.
 */
async function expectPageSized(query: ListProjects, plan: 'custom' | 'generic'): Promise<void> {
  const nodes = nodesOf(await explain(query, plan));
  expect(nodes.filter((node) => node['Node Type'] === 'Seq Scan').map(described)).toEqual([]);
  expect(nodes.filter((node) => rowsRead(node) > MOST_ROWS_PER_NODE).map(described)).toEqual([]);
}

const claims = spread(50);
const cases: [string, () => ListProjects][] = [
  ['the first page', () => new ListProjects(LIMIT, undefined, undefined)],
  ['a page midway by cursor, with places replaced since', () => new ListProjects(LIMIT, midway, undefined)],
  [
    'the last page by cursor',
    () => new ListProjects(LIMIT, { ...midway, after: seeded.firstSeq + LIMIT }, undefined),
  ],
  ['the first page of a 50-project claim', () => new ListProjects(LIMIT, undefined, claims)],
  ['a page midway of a 50-project claim', () => new ListProjects(LIMIT, midway, claims)],
];

describe.each(['custom', 'generic'] as const)('with the %s plan', (plan) => {
  it.each(cases)('%s reads a page of rows, not the table', async (_, query) => {
    await expectPageSized(query(), plan);
  });
});

it('reads the page the listing saw: a project moved since at its old place, one moved before not', async () => {
  const { rows } = await pool.query<{ project_id: string }>(
    pageQuery(new ListProjects(LIMIT, midway, undefined)),
  );
  const before = new Set(movedBefore);
  const expected: string[] = [];
  for (let n = midway.after - seeded.firstSeq; expected.length <= LIMIT; n--)
    if (!before.has(`${PREFIX}${n}`)) expected.push(`${PREFIX}${n}`);
  expect(rows.map((row) => row.project_id)).toEqual(expected);
  expect(expected).toContain(movedDuring[MOVED_DURING / 2]);
  expect(expected.length).toBeLessThan(midway.after - seeded.firstSeq);
});
