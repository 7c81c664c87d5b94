import { randomUUID } from 'node:crypto';
import { createTestDatabase } from './support/database.js';
import { projectId, readAllEvents, request } from './support/http.js';
import { type RunningService, startService } from './support/service.js';

let service: RunningService;
let databaseUrl: string;

beforeAll(async () => {
  databaseUrl = await createTestDatabase('concurrency');
  service = await startService({ DATABASE_URL: databaseUrl });
});
afterAll(async () => service?.stop());

describe('many writers on one project', () => {
  it('64 clients x 20 messages: every acknowledgement stored once, unique sequences, each client in order', async () => {
    const p = projectId('hot');
    const acknowledged = new Map<string, number>();
    const statuses: number[] = [];
    const client = async (c: number) => {
      for (let i = 0; i < 20; i++) {
        const id = randomUUID();
        const res = await request(service.baseUrl, 'POST', `/v1/projects/${p}/messages`, {
          id,
          content: `client ${c} message ${i}`,
        });
        statuses.push(res.status);
        if (res.status === 201) acknowledged.set(id, res.body.sequence);
      }
    };
    await Promise.all(Array.from({ length: 64 }, (_, c) => client(c)));

    expect(statuses.filter((status) => status >= 500)).toEqual([]);
    expect(acknowledged.size).toBe(1280);
    const events = await readAllEvents(service.baseUrl, p);
    expect(events).toHaveLength(1280);
    expect(new Set(events.map((e) => e.data.messageId)).size).toBe(1280);
    expect(new Set(acknowledged.values()).size).toBe(1280);
    for (const event of events) expect(acknowledged.get(event.data.messageId)).toBe(event.revision);
    for (let c = 0; c < 64; c++) {
      const own = events.filter((e) => e.data.content.startsWith(`client ${c} `)).map((e) => e.data.content);
      expect(own).toEqual(Array.from({ length: 20 }, (_, i) => `client ${c} message ${i}`));
    }
  });

  it('16 concurrent requests with the same message id: one event, one 201, the rest 200 with the same message', async () => {
    const p = projectId('same-id');
    const body = { id: randomUUID(), content: 'only once' };
    const responses = await Promise.all(
      Array.from({ length: 16 }, () => request(service.baseUrl, 'POST', `/v1/projects/${p}/messages`, body)),
    );
    expect(responses.map((r) => r.status).sort()).toEqual([...Array<number>(15).fill(200), 201]);
    for (const response of responses) expect(response.body).toEqual(responses[0]?.body);
    expect(await readAllEvents(service.baseUrl, p)).toHaveLength(1);
  });

  it('32 clients issuing turns: every UserMessaged immediately followed by its AssistantReserved', async () => {
    const p = projectId('turns');
    const statuses: number[] = [];
    const client = async (c: number) => {
      for (let i = 0; i < 5; i++) {
        const res = await request(service.baseUrl, 'POST', `/v1/projects/${p}/turns`, {
          user: { content: `turn ${c}.${i}` },
        });
        statuses.push(res.status);
        expect(res.body.assistant.sequence).toBe(res.body.user.sequence + 1);
      }
    };
    // Plain messages race the turns: they must never land between a turn's two events.
    const interloper = async () => {
      for (let i = 0; i < 40; i++) {
        statuses.push(
          (await request(service.baseUrl, 'POST', `/v1/projects/${p}/messages`, { content: `x${i}` })).status,
        );
      }
    };
    await Promise.all([...Array.from({ length: 32 }, (_, c) => client(c)), interloper()]);

    expect(statuses.every((status) => status === 201)).toBe(true);
    const events = await readAllEvents(service.baseUrl, p);
    expect(events).toHaveLength(32 * 5 * 2 + 40);
    events.forEach((event, i) => {
      if (!event.data.content.startsWith('turn ')) return;
      const next = events[i + 1];
      expect(next.type).toBe('AssistantReserved');
      expect(next.data.replyTo).toBe(event.data.messageId);
    });
  });

  it('If-Match writers racing on one revision: exactly one wins, the others get 412', async () => {
    const p = projectId('pinned');
    await request(service.baseUrl, 'POST', `/v1/projects/${p}/messages`, { content: 'base' });
    const responses = await Promise.all(
      Array.from({ length: 16 }, (_, i) =>
        request(
          service.baseUrl,
          'POST',
          `/v1/projects/${p}/messages`,
          { content: `pinned ${i}` },
          { 'if-match': '"0"' },
        ),
      ),
    );
    const statuses = responses.map((r) => r.status);
    expect(statuses.filter((s) => s === 201)).toHaveLength(1);
    expect(statuses.filter((s) => s === 412)).toHaveLength(15);
    expect(await readAllEvents(service.baseUrl, p)).toHaveLength(2);
  });
});

describe('two service instances on one database', () => {
  it('writers on both lose nothing, never share a sequence, and keep each client in order', async () => {
    const second = await startService({ DATABASE_URL: databaseUrl });
    try {
      const p = projectId('two-instances');
      const statuses: number[] = [];
      const client = async (c: number) => {
        const target = c % 2 === 0 ? service : second;
        for (let i = 0; i < 15; i++) {
          const res = await request(target.baseUrl, 'POST', `/v1/projects/${p}/messages`, {
            content: `c${c} m${i}`,
          });
          statuses.push(res.status);
        }
      };
      await Promise.all(Array.from({ length: 16 }, (_, c) => client(c)));
      expect(statuses.every((status) => status === 201)).toBe(true);
      const events = await readAllEvents(service.baseUrl, p);
      expect(events).toHaveLength(240);
      expect(events.map((e) => e.revision)).toEqual(Array.from({ length: 240 }, (_, i) => i));
      for (let c = 0; c < 16; c++) {
        const own = events.filter((e) => e.data.content.startsWith(`c${c} `)).map((e) => e.data.content);
        expect(own).toEqual(Array.from({ length: 15 }, (_, i) => `c${c} m${i}`));
      }
    } finally {
      await second.stop();
    }
  });
});
