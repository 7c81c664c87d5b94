/**
 * The http-raw-insert baseline's server, run as its own process like the real service: plain
 * node:http, one INSERT per request through a pg Pool, nothing else. Reports its port over IPC.
 */
import http from 'node:http';
import pg from 'pg';
import { serveBaseline } from '../support/baseline-server.js';
import { eventValues, INSERT_EVENT } from './events-table.js';

const url = process.env.DATABASE_URL;
if (!url) throw new Error('DATABASE_URL is required');
const pool = new pg.Pool({ connectionString: url, max: Number(process.env.POOL_SIZE ?? 20) });
pool.on('error', () => undefined); // an idle connection dropping fails the next query, not the process
// One stream per path; the process is single-threaded, so the counter needs no lock.
const revisions = new Map<string, number>();

const server = http.createServer((req, res) => {
  const match = req.method === 'POST' ? /^\/insert\/(\d+)$/.exec(req.url ?? '') : null;
  if (!match) {
    res.writeHead(404).end();
    return;
  }
  const chunks: Buffer[] = [];
  req.on('data', (chunk: Buffer) => chunks.push(chunk));
  req.on('end', () => {
    void insert(`w-${match[1]}`, Buffer.concat(chunks).toString('utf8')).then(
      (body) => {
        res.writeHead(201, { 'content-type': 'application/json' }).end(body);
      },
      (error: unknown) => {
        res.writeHead(500, { 'content-type': 'text/plain' }).end(String(error));
      },
    );
  });
});

async function insert(stream: string, body: string): Promise<string> {
  const { content } = JSON.parse(body) as { content: string };
  const revision = revisions.get(stream) ?? 0;
  revisions.set(stream, revision + 1);
  const values = eventValues(stream, revision, content);
  await pool.query({ ...INSERT_EVENT, values });
  return JSON.stringify({ id: values[2], stream, revision });
}

serveBaseline(server, pool);
