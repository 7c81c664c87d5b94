import { createTestDatabase } from '../../test/support/database.js';
import { projectId, readAllEvents, request } from '../../test/support/http.js';
import { type RunningService, startService } from '../../test/support/service.js';
import { clientLosingFirstAnswer } from './support/losing-client.js';
import {
  ConflictError,
  ConversationClient,
  NotFoundError,
  PreconditionFailedError,
  ProblemError,
  ProjectErasedError,
  ValidationError,
} from '../src/index.js';

let service: RunningService;
let limited: RunningService;
let client: ConversationClient;

beforeAll(async () => {
  const [databaseUrl, limitedUrl] = await Promise.all([
    createTestDatabase('client'),
    createTestDatabase('client_rl'),
  ]);
  [service, limited] = await Promise.all([
    startService({ DATABASE_URL: databaseUrl }),
    startService({ DATABASE_URL: limitedUrl, RATE_LIMIT_COMMANDS: '2', RATE_LIMIT_WINDOW_MS: '1000' }),
  ]);
  client = new ConversationClient({ baseUrl: service.baseUrl });
});
afterAll(() => Promise.all([service?.stop(), limited?.stop()]));

const UUID_V7 = /^[0-9a-f]{8}-[0-9a-f]{4}-7[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/;

describe('commands', () => {
  it('post, reserve, complete and turn, each with a UUIDv7 the client chose', async () => {
    const project = projectId('cl');
    const user = await client.postMessage(project, { content: 'hello' });
    expect(user).toMatchObject({ role: 'user', content: 'hello', sequence: 0 });
    expect(user.id).toMatch(UUID_V7);
    const reply = await client.reserveAssistant(project, { replyTo: user.id });
    expect(reply).toMatchObject({ role: 'assistant', status: 'pending', replyTo: user.id, sequence: 1 });
    expect(reply.id).toMatch(UUID_V7);
    const done = await client.complete(project, reply.id, { content: 'hi' });
    expect(done).toMatchObject({ id: reply.id, status: 'success', content: 'hi' });
    const turn = await client.turn(project, { user: { content: 'again' }, assistant: { content: '…' } });
    expect(turn.assistant.sequence).toBe(turn.user.sequence + 1);
    expect(turn.assistant.replyTo).toBe(turn.user.id);
    expect([turn.user.id, turn.assistant.id]).toEqual([
      expect.stringMatching(UUID_V7),
      expect.stringMatching(UUID_V7),
    ]);
  });

  it('a network failure after the service appended is retried with the same id and appended once', async () => {
    const project = projectId('cl');
    const { client: flaky, calls } = clientLosingFirstAnswer(service.baseUrl);
    const message = await flaky.postMessage(project, { content: 'once' });
    expect(calls()).toBe(2);
    const events = await readAllEvents(service.baseUrl, project);
    expect(events.map((event) => event.data.messageId)).toEqual([message.id]);
  });

  it('429 is retried after its Retry-After, and the command then succeeds', async () => {
    const project = projectId('cl');
    const patient = new ConversationClient({ baseUrl: limited.baseUrl });
    const started = Date.now();
    const messages = await Promise.all(
      [1, 2, 3].map((n) => patient.postMessage(project, { content: `m${n}` })),
    );
    expect(Date.now() - started).toBeGreaterThanOrEqual(500);
    expect(new Set(messages.map((message) => message.sequence)).size).toBe(3);
  });

  it('If-Match: applied at the pinned revision; stale, a PreconditionFailedError with currentRevision', async () => {
    const project = projectId('cl');
    await client.postMessage(project, { content: 'first' });
    await client.postMessage(project, { content: 'second' }, { ifMatch: 0 });
    const stale = client.postMessage(project, { content: 'third' }, { ifMatch: 0 });
    await expect(stale).rejects.toBeInstanceOf(PreconditionFailedError);
    await expect(stale).rejects.toMatchObject({ status: 412, currentRevision: 1 });
  });

  it('every problem becomes its typed error with type, status and errors', async () => {
    const project = projectId('cl');
    const invalid = client.postMessage(project, { content: '' });
    await expect(invalid).rejects.toBeInstanceOf(ValidationError);
    await expect(invalid).rejects.toMatchObject({
      status: 400,
      errors: [expect.objectContaining({ field: 'content' })],
    });
    const message = await client.postMessage(project, { content: 'mine' });
    const taken = client.postMessage(project, { id: message.id, content: 'other' });
    await expect(taken).rejects.toBeInstanceOf(ConflictError);
    await expect(client.complete(project, message.id, { content: 'x' })).rejects.toBeInstanceOf(
      NotFoundError,
    );
    const unknownReply = client.reserveAssistant(project, {
      replyTo: '00000000-0000-7000-8000-000000000000',
    });
    await expect(unknownReply).rejects.toMatchObject({
      status: 422,
      type: expect.stringMatching(/\/problems\//),
    });
    expect(await request(service.baseUrl, 'DELETE', `/v1/projects/${project}`)).toMatchObject({
      status: 204,
    });
    const gone = client.postMessage(project, { content: 'late' });
    await expect(gone).rejects.toBeInstanceOf(ProjectErasedError);
    await expect(gone).rejects.toBeInstanceOf(ProblemError);
  });

  it('an aborted command rejects with the signal’s reason and is not retried', async () => {
    const abort = new AbortController();
    abort.abort(new Error('stop'));
    await expect(
      client.postMessage(projectId('cl'), { content: 'x' }, { signal: abort.signal }),
    ).rejects.toThrow('stop');
  });
});

describe('reads', () => {
  it('history pages backwards from the newest, or forwards after a sequence, each page in order', async () => {
    const project = projectId('cl');
    for (let n = 0; n < 5; n++) await client.postMessage(project, { content: `m${n}` });
    const backwards: string[][] = [];
    for await (const page of client.history(project, { limit: 2 }))
      backwards.push(page.data.map((m) => m.content));
    expect(backwards).toEqual([['m3', 'm4'], ['m1', 'm2'], ['m0']]);
    const forwards: string[][] = [];
    for await (const page of client.history(project, { after: 0, limit: 3 }))
      forwards.push(page.data.map((m) => m.content));
    expect(forwards).toEqual([['m1', 'm2', 'm3'], ['m4']]);
  });

  it('reads its own writes at once: message(id) right after the command', async () => {
    const project = projectId('cl');
    for (let n = 0; n < 20; n++) {
      const written = await client.postMessage(project, { content: `m${n}` });
      expect(await client.message(project, written.id)).toEqual(written);
    }
  });

  it('events iterates the whole log across pages', async () => {
    const project = projectId('cl');
    await client.turn(project, { user: { content: 'q' } });
    await client.postMessage(project, { content: 'more' });
    const types: string[] = [];
    for await (const event of client.events(project, { limit: 1 })) types.push(event.type);
    expect(types).toEqual(['UserMessaged', 'AssistantReserved', 'UserMessaged']);
  });
});
