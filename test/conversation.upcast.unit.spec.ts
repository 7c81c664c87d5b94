import { MalformedEventError, upcast } from '../src/conversation/conversation.upcast.js';
import type { RecordedEvent } from '../src/event-store/event-store.port.js';

const DATA = {
  UserMessaged: {
    messageId: 'm1',
    projectId: 'p',
    content: 'hello',
    imageUrls: ['https://cdn.example.com/a.png'],
    createdBy: null,
    createdAt: '2026-11-26T10:00:00.000Z',
  },
  AssistantReserved: {
    messageId: 'm2',
    projectId: 'p',
    content: 'thinking',
    replyTo: 'm1',
    createdBy: 'user-17',
    createdAt: '2026-11-26T10:00:00.000Z',
  },
  AssistantCompleted: {
    messageId: 'm2',
    projectId: 'p',
    content: 'done',
    status: 'success',
    completedAt: '2026-11-26T10:00:05.000Z',
  },
};

function recorded(type: string, data: unknown, schemaVersion = 1): RecordedEvent {
  return {
    id: 'e1',
    streamName: 'conversation-p',
    revision: 0n,
    type,
    data,
    metadata: { correlationId: null, causationId: null, userId: null, schemaVersion },
    createdAt: new Date(),
    position: '1',
  };
}

it.each(Object.entries(DATA))('reads a version 1 %s as having no metadata', (type, data) => {
  expect(upcast(recorded(type, data))).toEqual({ type, data: { ...data, metadata: {} } });
});

it.each(Object.entries(DATA))('passes a well-formed version 2 %s through as it is', (type, data) => {
  const current = { ...data, metadata: { model: 'm-1' } };
  expect(upcast(recorded(type, current, 2))).toEqual({ type, data: current });
});

it('passes a streamed piece through, and refuses one without a whole offset', () => {
  const data = { messageId: 'm2', projectId: 'p', offset: 4, delta: 'more' };
  expect(upcast(recorded('AssistantDeltaAppended', data, 2))).toEqual({
    type: 'AssistantDeltaAppended',
    data,
  });
  for (const offset of [-1, 1.5, '4'])
    expect(() => upcast(recorded('AssistantDeltaAppended', { ...data, offset }, 2))).toThrow(
      /data.offset is not a integer/,
    );
});

it('refuses a version 2 event without metadata, or with metadata that is not an object', () => {
  for (const metadata of [undefined, null, ['a']])
    expect(() => upcast(recorded('UserMessaged', { ...DATA.UserMessaged, metadata }, 2))).toThrow(
      /data.metadata is not a object/,
    );
});

it('reads an event without a schema version as version 1', () => {
  const event = { ...recorded('UserMessaged', DATA.UserMessaged), metadata: undefined };
  expect(upcast(event as unknown as RecordedEvent).type).toBe('UserMessaged');
});

it.each([
  ['an unknown type', recorded('MessageDeleted', DATA.UserMessaged), /unknown event type MessageDeleted/],
  ['a newer schema version', recorded('UserMessaged', DATA.UserMessaged, 3), /schema version 3 is newer/],
  ['data that is not an object', recorded('UserMessaged', 'hello'), /data is not an object/],
  ['null data', recorded('UserMessaged', null), /data is not an object/],
  [
    'a missing string',
    recorded('UserMessaged', { ...DATA.UserMessaged, content: undefined }),
    /data.content is not a string/,
  ],
  [
    'null where null is not allowed',
    recorded('AssistantCompleted', { ...DATA.AssistantCompleted, content: null }),
    /data.content is not a string/,
  ],
  [
    'a list with something else than strings',
    recorded('UserMessaged', { ...DATA.UserMessaged, imageUrls: ['a', 1] }),
    /data.imageUrls is not a string\[\]/,
  ],
  [
    'an unknown completion status',
    recorded('AssistantCompleted', { ...DATA.AssistantCompleted, status: 'maybe' }),
    /data.status is not success or error/,
  ],
])('refuses %s', (_label, event, message) => {
  expect(() => upcast(event)).toThrow(MalformedEventError);
  expect(() => upcast(event)).toThrow(message);
});

it('accepts null where the field allows it', () => {
  const data = { ...DATA.AssistantReserved, replyTo: null, createdBy: null };
  expect(upcast(recorded('AssistantReserved', data)).data).toEqual({ ...data, metadata: {} });
});
