import { randomUUID } from 'node:crypto';
import { createTestDatabase } from './support/database.js';
import { projectId, request } from './support/http.js';
import { type RunningService, startService } from './support/service.js';
import { openSse, type SseEvent } from './support/sse.js';

let service: RunningService;

beforeAll(async () => {
  const databaseUrl = await createTestDatabase('streaming_live');
  service = await startService({ DATABASE_URL: databaseUrl, LIVE_STREAMS_PER_CLIENT: '1000' });
});
afterAll(async () => service?.stop());

const REPLIES = 32;
const DELTAS = 150;

/** What a client keeps: each message's content, built only from what the stream sends. */
class Reader {
  readonly contents = new Map<string, string>();
  completed = false;
  lastId = '-1';
  frames = { created: 0, updated: 0, delta: 0 };

  apply(event: SseEvent): void {
    const data = JSON.parse(event.data);
    if (event.event === 'message.delta') {
      const content = this.contents.get(data.id);
      // A piece must continue exactly where the content ends: nothing lost, nothing twice.
      expect(data.offset).toBe(content?.length);
      this.contents.set(data.id, content + data.delta);
      this.frames.delta++;
    } else {
      this.contents.set(data.id, data.content);
      if (event.event === 'message.updated') this.frames.updated++;
      else this.frames.created++;
      if (data.status === 'success') this.completed = true;
    }
    this.lastId = event.id ?? this.lastId;
  }

  /** Reads until the reply is completed, reconnecting with Last-Event-ID after a random number of events. */
  async follow(project: string): Promise<void> {
    while (!this.completed) {
      const connection = await openSse(`${service.baseUrl}/v1/projects/${project}/live`, {
        'Last-Event-ID': this.lastId,
      });
      try {
        for (let n = Math.floor(Math.random() * 60); n > 0 && !this.completed; n--) {
          this.apply(await connection.nextEvent(10_000));
        }
      } finally {
        connection.close();
      }
    }
  }
}

async function streamReply(project: string, id: string, pieces: string[]): Promise<void> {
  let offset = 0;
  for (const delta of pieces) {
    const sent = await request(
      service.baseUrl,
      'POST',
      `/v1/projects/${project}/assistant-messages/${id}/stream`,
      { offset, delta },
    );
    expect(sent.status).toBe(200);
    offset += delta.length;
  }
  const done = await request(
    service.baseUrl,
    'POST',
    `/v1/projects/${project}/assistant-messages/${id}/complete`,
    {},
  );
  expect(done.status).toBe(200);
}

const piecesOf = (n: number) =>
  Array.from({ length: DELTAS }, (_, i) => `${n}:${i}${['a', 'é', '🙂'][i % 3]} `);

it('32 replies stream at once in 32 projects; readers reconnecting at random points end with the stored content', async () => {
  const replies = await Promise.all(
    Array.from({ length: REPLIES }, async (_, n) => {
      const project = projectId(`stream${n}`);
      const id = randomUUID();
      const reserved = await request(service.baseUrl, 'POST', `/v1/projects/${project}/assistant-messages`, {
        id,
      });
      expect(reserved.status).toBe(201);
      return { project, id, pieces: piecesOf(n), reader: new Reader() };
    }),
  );
  await Promise.all(
    replies.flatMap(({ project, id, pieces, reader }) => [
      streamReply(project, id, pieces),
      reader.follow(project),
    ]),
  );
  for (const { project, id, pieces, reader } of replies) {
    const stored = await request(
      service.baseUrl,
      'GET',
      `/v1/projects/${project}/messages/${id}?minRevision=${DELTAS + 1}`,
    );
    expect(stored.body.content).toBe(pieces.join(''));
    expect(reader.contents.get(id)).toBe(stored.body.content);
  }
});

it('a reader far behind gets a run of pieces as one message.updated, then the pieces after it', async () => {
  const project = projectId('behind');
  const id = randomUUID();
  await request(service.baseUrl, 'POST', `/v1/projects/${project}/assistant-messages`, { id });
  const pieces = piecesOf(7);
  let offset = 0;
  for (const delta of pieces) {
    await request(service.baseUrl, 'POST', `/v1/projects/${project}/assistant-messages/${id}/stream`, {
      offset,
      delta,
    });
    offset += delta.length;
  }
  const reader = new Reader();
  const connection = await openSse(`${service.baseUrl}/v1/projects/${project}/live`, {
    'Last-Event-ID': '-1',
  });
  try {
    reader.apply(await connection.nextEvent());
    while (reader.contents.get(id)?.length !== offset) reader.apply(await connection.nextEvent());
    expect(reader.frames.updated).toBeGreaterThan(0);
    expect(reader.frames.delta + reader.frames.updated).toBeLessThan(DELTAS);
    expect(reader.lastId).toBe(String(DELTAS));
    // Live again: the next piece comes as a piece.
    await request(service.baseUrl, 'POST', `/v1/projects/${project}/assistant-messages/${id}/stream`, {
      offset,
      delta: '!',
    });
    const next = await connection.nextEvent();
    expect(next.event).toBe('message.delta');
    reader.apply(next);
    expect(reader.contents.get(id)).toBe(pieces.join('') + '!');
  } finally {
    connection.close();
  }
});
