/**
 * The http-raw-select baseline's server, run as its own process like the real service: plain
 * node:http answering GET /v1/projects/{p}/messages?limit=N with the service's own statement for
 * the newest page, through a pg Pool, nothing else. Reports its port over IPC.
 */
import http from 'node:http';
import pg from 'pg';
import { serveBaseline } from '../support/baseline-server.js';

const url = process.env.DATABASE_URL;
if (!url) throw new Error('DATABASE_URL is required');
const pool = new pg.Pool({ connectionString: url, max: Number(process.env.POOL_SIZE ?? 20) });
pool.on('error', () => undefined); // an idle connection dropping fails the next query, not the process

/**
 * Copied from src/read/messages/get-messages.query.ts, pageQuery('newest') with MESSAGE_COLUMNS
 * spelled out: the same statement against the same read model (the rm_messages/rm_projects views).
 */
const NEWEST_PAGE_SQL = `SELECT coalesce((SELECT revision FROM rm_projects WHERE project_id = $1), -1) AS revision,
                 coalesce((SELECT json_agg(page ORDER BY page.sequence DESC)
                             FROM (SELECT project_id, sequence, id, role, kind, status, content, image_urls, reply_to, created_at, updated_at, created_by, revision FROM rm_messages
                                    WHERE project_id = $1 ORDER BY sequence DESC LIMIT $2) page),
                          '[]') AS rows`;

const PATH = /^\/v1\/projects\/([A-Za-z0-9_-]{1,100})\/messages(?:\?limit=(\d{1,3}))?$/;

const server = http.createServer((req, res) => {
  const match = req.method === 'GET' ? PATH.exec(req.url ?? '') : null;
  if (!match?.[1]) {
    res.writeHead(404).end();
    return;
  }
  const limit = Math.min(200, Math.max(1, Number(match[2] ?? 50)));
  void page(match[1], limit).then(
    (body) => {
      res.writeHead(200, { 'content-type': 'application/json; charset=utf-8' }).end(body);
    },
    (error: unknown) => {
      res.writeHead(500, { 'content-type': 'text/plain' }).end(String(error));
    },
  );
});

/** As the service does: one more row than asked tells whether there are more; oldest first. */
async function page(projectId: string, limit: number): Promise<string> {
  const { rows } = await pool.query<{ revision: string; rows: unknown[] }>({
    name: 'rm_messages_newest',
    text: NEWEST_PAGE_SQL,
    values: [projectId, limit + 1],
  });
  const fetched = rows[0]?.rows ?? [];
  const data = fetched.slice(0, limit).reverse();
  return JSON.stringify({ data, hasMore: fetched.length > limit, revision: Number(rows[0]?.revision ?? -1) });
}

serveBaseline(server, pool);
