import { randomUUID } from 'node:crypto';
import { createTestDatabase } from './support/database.js';
import { projectId, readAllEvents, request } from './support/http.js';
import { type RunningService, spawnService, startService } from './support/service.js';
import { openSse, type SseEvent } from './support/sse.js';

const SHUTDOWN_TIMEOUT_MS = 3_000;
/** Time for the process to be scheduled and exit, on a loaded machine. */
const EXIT_MARGIN_MS = 2_000;

let databaseUrl: string;

beforeAll(async () => {
  databaseUrl = await createTestDatabase('shutdown');
});

/** Sends SIGTERM; resolves with how long the process took to exit, and its exit code. */
async function terminate(service: RunningService): Promise<{ elapsedMs: number; code: number | null }> {
  const started = Date.now();
  const exited = new Promise<number | null>((resolve) => service.child.once('exit', (code) => resolve(code)));
  service.child.kill('SIGTERM');
  const code = await exited;
  return { elapsedMs: Date.now() - started, code };
}

/** Everything a stream sends until it ends. */
async function readUntilEnd(url: string): Promise<SseEvent[]> {
  const stream = await openSse(url);
  expect(stream.response.status).toBe(200);
  const events: SseEvent[] = [];
  for (;;) {
    try {
      events.push(await stream.nextEvent(30_000));
    } catch {
      return events;
    }
  }
}

type Outcome =
  { acknowledged: string; sequence: number } | { status: number; type?: string } | { unanswered: string };

describe('SIGTERM', () => {
  it('under load: keeps every acknowledged write, answers nothing but 503 shutting-down, ends live streams with a shutdown event, exits in time', async () => {
    const service = await spawnService({
      env: { DATABASE_URL: databaseUrl, SHUTDOWN_TIMEOUT_MS: String(SHUTDOWN_TIMEOUT_MS) },
    });
    const p = projectId('sigterm');
    const streams = Array.from({ length: 4 }, () => readUntilEnd(`${service.baseUrl}/v1/projects/${p}/live`));

    const outcomes: Outcome[] = [];
    let signalled = false;
    const writer = async (w: number) => {
      // Until the instance refuses this writer: a 503, or a connection it no longer accepts.
      for (let i = 0; ; i++) {
        const id = randomUUID();
        try {
          const response = await request(service.baseUrl, 'POST', `/v1/projects/${p}/messages`, {
            id,
            content: `w${w} m${i}`,
          });
          if (response.status === 201 || response.status === 200) {
            outcomes.push({ acknowledged: id, sequence: response.body.sequence });
            continue;
          }
          outcomes.push({ status: response.status, type: response.body?.type });
          return;
        } catch {
          // No answer at all (a connection reset or refused): not acknowledged.
          outcomes.push({ unanswered: id });
          if (signalled) return;
        }
      }
    };
    const writers = Array.from({ length: 32 }, (_, w) => writer(w));
    await new Promise((resolve) => setTimeout(resolve, 1_000));
    signalled = true;
    const { elapsedMs, code } = await terminate(service);
    await Promise.all(writers);

    expect(code).toBe(0);
    expect(elapsedMs).toBeLessThan(SHUTDOWN_TIMEOUT_MS + EXIT_MARGIN_MS);

    const acknowledged = outcomes.flatMap((outcome) => ('acknowledged' in outcome ? [outcome] : []));
    const answered = outcomes.flatMap((outcome) => ('status' in outcome ? [outcome] : []));
    expect(acknowledged.length).toBeGreaterThan(50);
    // Every answer that was not an acknowledgement says: this instance is going, retry elsewhere.
    for (const answer of answered) expect(answer).toEqual({ status: 503, type: '/problems/shutting-down' });

    // Each live stream ended with the shutdown event, after the changes it had been sent.
    for (const events of await Promise.all(streams)) {
      const last = events.at(-1);
      expect(last).toMatchObject({ event: 'shutdown', id: events.at(-2)?.id });
      expect(JSON.parse(last!.data)).toMatchObject({ detail: expect.any(String) });
      expect(events.slice(0, -1).every((event) => event.event === 'message.created')).toBe(true);
    }

    const restarted = await startService({ DATABASE_URL: databaseUrl });
    try {
      const stored = new Map(
        (await readAllEvents(restarted.baseUrl, p)).map((event) => [event.data.messageId, event.revision]),
      );
      for (const { acknowledged: id, sequence } of acknowledged) expect(stored.get(id)).toBe(sequence);
      // A request left without an answer never reached a handler (it raced a connection the server
      // closed as idle, or found the port closed): none was appended unbeknown to its client.
      const unanswered = outcomes.flatMap((outcome) => ('unanswered' in outcome ? [outcome.unanswered] : []));
      for (const id of unanswered) expect(stored.has(id)).toBe(false);
      expect(stored.size).toBe(acknowledged.length);
    } finally {
      await restarted.stop();
    }
  });

  it('exits within SHUTDOWN_TIMEOUT_MS when a request holds the shutdown open', async () => {
    const timeoutMs = 1_500;
    const service = await spawnService({
      env: { DATABASE_URL: databaseUrl, SHUTDOWN_TIMEOUT_MS: String(timeoutMs), LOG_LEVEL: 'error' },
    });
    // Waits up to 5 s for a revision that never comes.
    const held = request(service.baseUrl, 'GET', `/v1/projects/${projectId()}/messages?minRevision=5`).catch(
      () => undefined,
    );
    await new Promise((resolve) => setTimeout(resolve, 200));
    const { elapsedMs, code } = await terminate(service);
    await held;
    expect(code).toBe(1);
    expect(elapsedMs).toBeGreaterThanOrEqual(timeoutMs - 100);
    expect(elapsedMs).toBeLessThan(timeoutMs + EXIT_MARGIN_MS);
    expect(service.output()).toMatch(/SHUTDOWN_TIMEOUT_MS \(1500 ms\)/);
  });
});
