import pg from 'pg';
import { encodeCursor } from '../../src/read/projects/projects-cursor.js';
import { type SeededProjects, seedProjects } from '../../test/support/project-activity.js';
import { parseJson, request } from '../support/http.js';
import { LIST_BASELINE_PROJECTS, PROJECTS_PAGE } from '../support/options.js';
import { noSuccessReason, type RunningService, startService } from '../support/service.js';
import { type Bench, type BenchContext, type BenchResult, skipped } from '../support/types.js';
import { loadReads, readResult } from './history.js';

/** A page the load asks for, and the projects it must answer with. */
interface ListedPage {
  path: string;
  expected: string[];
}

/**
 * The first page and pages by cursor at a quarter, half, three quarters and the end of the list,
 * as the list stands after `seeded`: the cursors are written as the service writes them.
 */
function pagesOf(seeded: SeededProjects): ListedPage[] {
  const newest = seeded.firstSeq + seeded.count - 1;
  const idAt = (seq: number): string => `${seeded.prefix}${seq - seeded.firstSeq + 1}`;
  const pageBelow = (after: number): string[] =>
    Array.from({ length: PROJECTS_PAGE }, (_, i) => idAt(after - 1 - i));
  const byCursor = (after: number): ListedPage => ({
    path: `/v1/projects?limit=${PROJECTS_PAGE}&cursor=${encodeCursor({ asOf: newest, after, issuedAt: Date.now() })}`,
    expected: pageBelow(after),
  });
  const depths = [0.25, 0.5, 0.75].map((share) => seeded.firstSeq + Math.round(seeded.count * share));
  return [
    { path: `/v1/projects?limit=${PROJECTS_PAGE}`, expected: pageBelow(newest + 1) },
    ...depths.map(byCursor),
    byCursor(seeded.firstSeq + PROJECTS_PAGE),
  ];
}

/** Each page once before the load: it answers the projects it should, newest first. */
async function checkPages(
  service: RunningService,
  pages: ListedPage[],
): Promise<{ ok: boolean; detail: string }> {
  for (const page of pages) {
    const response = await request(`${service.baseUrl}${page.path}`, {
      timeoutMs: 30_000,
      authorization: service.authorization,
    });
    const body = parseJson<{ data?: { projectId?: unknown }[] }>(response.body);
    const ids = (body?.data ?? []).map((project) => project.projectId);
    if (response.status !== 200 || ids.join() !== page.expected.join())
      return { ok: false, detail: `FAILED: ${response.status} ${ids[0]}…${ids.at(-1)} for ${page.path}` };
  }
  return { ok: true, detail: `ok: ${pages.length} pages of ${PROJECTS_PAGE}, first and by cursor` };
}

/** Seeds the list up to `total` projects, then measures its pages under load. */
async function measureAt(
  context: BenchContext,
  service: RunningService,
  pool: pg.Pool,
  total: number,
): Promise<BenchResult> {
  const { connections } = context.options;
  const id = total === LIST_BASELINE_PROJECTS ? 'projects-list-1k' : 'projects-list';
  const size = total.toLocaleString('en-US');
  const what = `GET /v1/projects?limit=${PROJECTS_PAGE}, the first page and pages by cursor at ¼, ½, ¾ and the end, in turn, with ${size} projects in the read model; autocannon, ${connections} connections`;
  const have = Number((await pool.query<{ n: string }>('SELECT count(*) AS n FROM rm_projects')).rows[0]?.n);
  const began = Date.now();
  const seeded = await seedProjects(pool, `list${total}-`, total - have);
  context.log(`projects-list: ${size} projects in ${((Date.now() - began) / 1000).toFixed(1)} s`);
  const pages = pagesOf(seeded);
  const check = await checkPages(service, pages);
  const load = await loadReads(context, service, {
    kind: 'paths',
    project: 'projects-list',
    paths: pages.map((page) => page.path),
  });
  if (load.ok === 0) return skipped(id, id, what, noSuccessReason(load.statusCodes, load.errors));
  return readResult(
    { id, name: `projects list at ${size} (HTTP) ×${connections}`, what },
    load,
    service,
    check,
  );
}

/**
 * GET /v1/projects is O(page): the same pages at a thousand projects and at a million (seeded
 * straight into the read model; see test/support/project-activity.ts) should go as fast.
 */
export const projectsList: Bench = {
  name: 'projects-list',
  async run(context): Promise<BenchResult[]> {
    const service = await startService(context, 'projects-list');
    if (typeof service === 'string')
      return [
        skipped('projects-list-1k', 'projects-list-1k', '', service),
        skipped('projects-list', 'projects-list', '', service),
      ];
    const pool = new pg.Pool({ connectionString: service.databaseUrl, max: 2 });
    try {
      return [
        await measureAt(context, service, pool, LIST_BASELINE_PROJECTS),
        await measureAt(context, service, pool, context.options.listProjects),
      ];
    } finally {
      await pool.end();
      await service.stop();
    }
  },
};
