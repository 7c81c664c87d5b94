import { messagesProjection } from '../projections/messages/messages.projection.js';
import pg from 'pg';
import { applyToMessage, type Message } from '../src/conversation/message.js';
import { createTestDatabase } from './support/database.js';
import { projectId, readAllEvents, request } from './support/http.js';
import { type RunningService, startService } from './support/service.js';

let service: RunningService;
let databaseUrl: string;

beforeAll(async () => {
  databaseUrl = await createTestDatabase('rebuild');
  service = await startService({ DATABASE_URL: databaseUrl });
});
afterAll(async () => service?.stop());

/** Every message of a project, paging forward through the read model. */
async function history(p: string, minRevision?: number): Promise<{ data: Message[]; revision: number }> {
  const data: Message[] = [];
  let after = -1;
  let revision: number;
  for (;;) {
    const min = minRevision === undefined ? '' : `&minRevision=${minRevision}`;
    const page = await request(
      service.baseUrl,
      'GET',
      `/v1/projects/${p}/messages?after=${after}&limit=200${min}`,
    );
    expect(page.status).toBe(200);
    data.push(...page.body.data);
    revision = page.body.revision;
    if (!page.body.hasMore) return { data, revision };
    after = data.at(-1)!.sequence;
  }
}

/** What a fresh projection of the project's log must hold. */
async function expected(p: string): Promise<Message[]> {
  const messages = new Map<string, Message>();
  for (const event of await readAllEvents(service.baseUrl, p)) {
    const id = event.data.messageId as string;
    messages.set(id, applyToMessage(messages.get(id), event, event.revision));
  }
  return [...messages.values()].sort((a, b) => a.sequence - b.sequence);
}

describe('rebuild without downtime', () => {
  it('builds beside the live model while writers and readers run; no reader sees partial data', async () => {
    const projects = Array.from({ length: 4 }, () => projectId('rebuild'));
    for (const p of projects) {
      for (let i = 0; i < 60; i++)
        await request(service.baseUrl, 'POST', `/v1/projects/${p}/turns`, { user: { content: `q${i}` } });
    }
    const seeded = new Map<string, number>();
    for (const p of projects) seeded.set(p, (await history(p)).data.length);

    let stop = false;
    const problems: string[] = [];
    const writer = async (p: string) => {
      for (let i = 0; !stop; i++) {
        const res = await request(service.baseUrl, 'POST', `/v1/projects/${p}/messages`, {
          content: `live ${i}`,
        });
        if (res.status !== 201) problems.push(`write ${res.status}`);
      }
    };
    const reader = async (p: string) => {
      let seen = seeded.get(p) ?? 0;
      let revision = -1;
      while (!stop) {
        const page = await history(p);
        const sequences = page.data.map((m) => m.sequence);
        if (sequences.some((s, i) => i > 0 && s <= sequences[i - 1]!)) problems.push('out of order');
        if (page.data.length < seen) problems.push(`saw ${page.data.length} messages after ${seen}`);
        if (page.revision < revision)
          problems.push(`revision went back from ${revision} to ${page.revision}`);
        seen = page.data.length;
        revision = page.revision;
      }
    };
    const load = [...projects.map(writer), ...projects.map(reader)];

    const [before] = (await request(service.baseUrl, 'GET', '/v1/projections')).body;
    expect(before).toMatchObject({ generation: 1, rebuild: null });
    const requested = await request(service.baseUrl, 'POST', '/v1/projections/messages/rebuild', {});
    expect(requested.status).toBe(202);
    expect(requested.body).toEqual({ name: 'messages', version: messagesProjection.version, generation: 2 });
    let sawRebuilding = false;
    for (let i = 0; i < 300; i++) {
      const [status] = (await request(service.baseUrl, 'GET', '/v1/projections')).body;
      if (status.status === 'rebuilding') {
        sawRebuilding = true;
        expect(status).toMatchObject({ generation: 1, rebuild: { generation: 2 } });
      }
      if (sawRebuilding && status.status === 'running' && status.rebuild === null) break;
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
    expect(sawRebuilding).toBe(true);
    await new Promise((resolve) => setTimeout(resolve, 300));
    stop = true;
    await Promise.all(load);

    expect(problems).toEqual([]);
    const [status] = (await request(service.baseUrl, 'GET', '/v1/projections')).body;
    expect(status).toMatchObject({ name: 'messages', generation: 2, status: 'running', rebuild: null });
    for (const p of projects) {
      const events = await readAllEvents(service.baseUrl, p);
      const projected = await history(p, events.at(-1).revision);
      expect(projected.data).toEqual(await expected(p));
    }
  });

  it('a transaction left open on the history delays the switch, not the readers; the rebuild ends when it does', async () => {
    const p = projectId('rebuild-held');
    for (let i = 0; i < 20; i++)
      await request(service.baseUrl, 'POST', `/v1/projects/${p}/turns`, { user: { content: `q${i}` } });
    const seeded = await history(p);
    const holder = new pg.Client({ connectionString: databaseUrl });
    await holder.connect();
    const slow: string[] = [];
    try {
      // A report that read the history and was left idle in its transaction.
      await holder.query('BEGIN');
      await holder.query(`SELECT count(*) FROM rm_messages WHERE project_id = $1`, [p]);
      await holder.query(`SELECT revision FROM rm_projects WHERE project_id = $1`, [p]);

      const [before] = (await request(service.baseUrl, 'GET', '/v1/projections')).body;
      expect((await request(service.baseUrl, 'POST', '/v1/projections/messages/rebuild', {})).status).toBe(
        202,
      );
      // Reads for a few seconds, through the rebuild's attempts to switch; each must answer promptly.
      const until = Date.now() + 4_000;
      let written = seeded.revision;
      while (Date.now() < until) {
        const started = Date.now();
        const page = await request(service.baseUrl, 'GET', `/v1/projects/${p}/messages?limit=50`);
        const took = Date.now() - started;
        if (page.status !== 200 || took >= 1_000) slow.push(`GET ${page.status} in ${took} ms`);
        // The live model keeps following the log meanwhile: read your own write.
        const posted = await request(service.baseUrl, 'POST', `/v1/projects/${p}/messages`, {
          content: 'more',
        });
        written = posted.body.revision;
        const own = await request(
          service.baseUrl,
          'GET',
          `/v1/projects/${p}/messages?limit=1&minRevision=${written}`,
        );
        if (own.status !== 200) slow.push(`minRevision GET ${own.status}`);
      }
      expect(slow).toEqual([]);
      const [waiting] = (await request(service.baseUrl, 'GET', '/v1/projections')).body;
      expect(waiting).toMatchObject({ name: 'messages', status: 'rebuilding', position: expect.any(String) });
      expect(waiting.position).not.toBe(before.position);
      // Built and caught up, it waits to switch, and says since when.
      expect(waiting.rebuild).toMatchObject({ switchWaitingSince: expect.any(String) });

      await holder.query('COMMIT');
      let status: any;
      for (let i = 0; i < 200; i++) {
        [status] = (await request(service.baseUrl, 'GET', '/v1/projections')).body;
        if (status.status === 'running' && status.rebuild === null) break;
        await new Promise((resolve) => setTimeout(resolve, 50));
      }
      expect(status).toMatchObject({ name: 'messages', status: 'running', rebuild: null });
      const after = await history(p, written);
      expect(after.data).toEqual(await expected(p));
    } finally {
      await holder.query('ROLLBACK').catch(() => undefined);
      await holder.end();
    }
  });
});
