import type {
  AssistantCompleted,
  AssistantDeltaAppended,
  AssistantReserved,
  ConversationEvent,
  UserMessaged,
} from './conversation.events.js';
import { evolve, initialState } from './conversation.js';
import {
  type CompleteAssistantMessage,
  type ConversationCommand,
  decide,
  type PostUserMessage,
  type ReserveAssistantMessage,
  type StartTurn,
  type StreamAssistantDelta,
} from './conversation.decide.js';
import {
  AssistantMessageNotFoundError,
  CompletionConflictError,
  MessageIdConflictError,
  NotStreamingError,
  ReplyToNotFoundError,
  StaleOffsetError,
} from './conversation.errors.js';

const PROJECT = 'p-42';
const USER = '0192f0c4-6f39-7a10-8b2e-7d1d2c3b4a59';
const ASSISTANT = '0192f0c4-6f3a-7c4e-9a51-2b1f6c0d9e11';
const OTHER = '0192f0c4-6f3b-7d00-8000-000000000003';
const IMAGE = 'https://cdn.example.com/frame-1.png';
const IMAGE_2 = 'https://cdn.example.com/frame-2.png';
const T1 = '2026-11-26T10:00:00.123Z';
const T2 = '2026-11-26T10:00:05.000Z';
const T3 = '2026-11-26T11:00:00.000Z';

const user = {
  messageId: USER,
  content: 'Make the intro shorter',
  imageUrls: [IMAGE, IMAGE_2],
  metadata: {},
};
const reply = { messageId: ASSISTANT, content: 'Generating code', metadata: {} };
const issued = { projectId: PROJECT, createdBy: 'user-17' };
const completion = {
  projectId: PROJECT,
  messageId: ASSISTANT,
  content: 'Done',
  status: 'success',
  metadata: {},
} as const;

const userMessaged = (data: Partial<UserMessaged['data']> = {}): UserMessaged => ({
  type: 'UserMessaged',
  data: { ...issued, ...user, createdAt: T1, ...data },
});
const assistantReserved = (data: Partial<AssistantReserved['data']> = {}): AssistantReserved => ({
  type: 'AssistantReserved',
  data: { ...issued, ...reply, replyTo: USER, createdAt: T1, ...data },
});
const assistantCompleted = (data: Partial<AssistantCompleted['data']> = {}): AssistantCompleted => ({
  type: 'AssistantCompleted',
  data: { ...completion, completedAt: T2, ...data },
});

const command =
  <C extends ConversationCommand>(defaults: C) =>
  (over: Partial<C> = {}): C => ({ ...defaults, ...over });
const postUserMessage = command<PostUserMessage>({
  type: 'PostUserMessage',
  ...issued,
  ...user,
  now: T1,
});
const reserveAssistant = command<ReserveAssistantMessage>({
  type: 'ReserveAssistantMessage',
  ...issued,
  ...reply,
  replyTo: USER,
  now: T1,
});
const completeAssistant = command<CompleteAssistantMessage>({
  type: 'CompleteAssistantMessage',
  ...completion,
  now: T2,
});
const startTurn = command<StartTurn>({ type: 'StartTurn', ...issued, user, assistant: reply, now: T1 });

function given(...events: ConversationEvent[]) {
  const state = events.reduce(evolve, initialState);
  return {
    when: (command: ConversationCommand) => ({
      then: (expected: ConversationEvent[]) => expect(decide(command, state)).toEqual(expected),
      thenThrows: (errorClass: new (...args: never[]) => Error, fields: Record<string, unknown> = {}) =>
        expect(() => decide(command, state)).toThrow(
          expect.objectContaining({ name: errorClass.name, ...fields }),
        ),
    }),
  };
}

describe('PostUserMessage', () => {
  it('records a new user message with all its data', () =>
    given().when(postUserMessage()).then([userMessaged()]));

  it('treats the same id, content and imageUrls as a retry', () =>
    given(userMessaged(), assistantReserved())
      .when(postUserMessage({ now: T2 }))
      .then([]));

  it.each([
    ['content', { content: 'Make it longer' }],
    ['imageUrls', { imageUrls: [IMAGE] }],
    ['imageUrls order', { imageUrls: [IMAGE_2, IMAGE] }],
  ])('rejects the same id with different %s', (_field, over) =>
    given(userMessaged()).when(postUserMessage(over)).thenThrows(MessageIdConflictError, { messageId: USER }),
  );

  it('rejects an id taken by an assistant message with the same content', () =>
    given(assistantReserved({ messageId: USER, replyTo: null, content: user.content }))
      .when(postUserMessage({ imageUrls: [] }))
      .thenThrows(MessageIdConflictError, { messageId: USER }));
});

describe('ReserveAssistantMessage', () => {
  it('reserves a reply to a user message with all its data', () =>
    given(userMessaged()).when(reserveAssistant()).then([assistantReserved()]));

  it('reserves a message that replies to nothing', () =>
    given()
      .when(reserveAssistant({ replyTo: null }))
      .then([assistantReserved({ replyTo: null })]));

  it('treats the same id, content and replyTo as a retry', () =>
    given(userMessaged(), assistantReserved())
      .when(reserveAssistant({ now: T2 }))
      .then([]));

  it('still recognises the retry after the message was completed', () =>
    given(userMessaged(), assistantReserved(), assistantCompleted()).when(reserveAssistant()).then([]));

  it.each([
    ['content', { content: 'Thinking' }],
    ['replyTo', { replyTo: null }],
  ])('rejects the same id with different %s', (_field, over) =>
    given(userMessaged(), assistantReserved())
      .when(reserveAssistant(over))
      .thenThrows(MessageIdConflictError, { messageId: ASSISTANT }),
  );

  it('rejects an id taken by a user message', () =>
    given(userMessaged())
      .when(reserveAssistant({ messageId: USER, replyTo: null }))
      .thenThrows(MessageIdConflictError, { messageId: USER }));

  it('rejects an unknown replyTo', () =>
    given(userMessaged())
      .when(reserveAssistant({ replyTo: OTHER }))
      .thenThrows(ReplyToNotFoundError, { replyTo: OTHER }));

  it('rejects a replyTo that names an assistant message', () =>
    given(userMessaged(), assistantReserved({ messageId: OTHER }))
      .when(reserveAssistant({ replyTo: OTHER }))
      .thenThrows(ReplyToNotFoundError, { replyTo: OTHER }));
});

describe('CompleteAssistantMessage', () => {
  it('completes a pending message with all its data', () =>
    given(userMessaged(), assistantReserved()).when(completeAssistant()).then([assistantCompleted()]));

  it('completes a pending message with an error', () =>
    given(assistantReserved())
      .when(completeAssistant({ status: 'error' }))
      .then([assistantCompleted({ status: 'error' })]));

  it.each([
    ['an unknown id', ASSISTANT],
    ['the id of a user message', USER],
  ])('rejects %s', (_case, messageId) =>
    given(userMessaged())
      .when(completeAssistant({ messageId }))
      .thenThrows(AssistantMessageNotFoundError, { messageId }),
  );

  it('treats an identical completion as a retry', () =>
    given(assistantReserved(), assistantCompleted())
      .when(completeAssistant({ now: T3 }))
      .then([]));

  it.each([
    ['content', { content: 'Something else' }],
    ['status', { status: 'error' as const }],
  ])('rejects a completion with a different %s', (_field, over) =>
    given(assistantReserved(), assistantCompleted())
      .when(completeAssistant(over))
      .thenThrows(CompletionConflictError, { messageId: ASSISTANT }),
  );
});

const deltaAppended = (offset: number, delta: string): AssistantDeltaAppended => ({
  type: 'AssistantDeltaAppended',
  data: { messageId: ASSISTANT, projectId: PROJECT, offset, delta },
});
const streamDelta = (offset: number, delta: string): StreamAssistantDelta => ({
  type: 'StreamAssistantDelta',
  projectId: PROJECT,
  messageId: ASSISTANT,
  offset,
  delta,
});
const PLACEHOLDER = reply.content.length;

describe('StreamAssistantDelta', () => {
  it('appends a piece at the end of the content', () =>
    given(assistantReserved())
      .when(streamDelta(PLACEHOLDER, '…'))
      .then([deltaAppended(PLACEHOLDER, '…')]));

  it('treats the last piece sent again at its offset as a retry', () =>
    given(assistantReserved(), deltaAppended(PLACEHOLDER, 'ab'))
      .when(streamDelta(PLACEHOLDER, 'ab'))
      .then([]));

  it.each([0, PLACEHOLDER + 1])('refuses offset %i with the current length', (offset) =>
    given(assistantReserved(), deltaAppended(PLACEHOLDER, 'ab'))
      .when(streamDelta(offset, 'zz'))
      .thenThrows(StaleOffsetError, { currentLength: PLACEHOLDER + 2 }),
  );

  it('refuses a piece for a completed message, and for an unknown one', () => {
    given(assistantReserved(), assistantCompleted())
      .when(streamDelta(4, 'x'))
      .thenThrows(NotStreamingError, { messageId: ASSISTANT });
    given(userMessaged()).when(streamDelta(0, 'x')).thenThrows(AssistantMessageNotFoundError);
  });

  it('completes with the streamed content when the completion names none', () =>
    given(assistantReserved(), deltaAppended(PLACEHOLDER, ' and more'))
      .when(completeAssistant({ content: undefined }))
      .then([assistantCompleted({ content: `${reply.content} and more` })]));
});

describe('StartTurn', () => {
  it('records the user message, then its reply', () =>
    given().when(startTurn()).then([userMessaged(), assistantReserved()]));

  it('treats the same two ids as a retry', () =>
    given(userMessaged(), assistantReserved())
      .when(startTurn({ now: T2 }))
      .then([]));

  it('still recognises the retry after the assistant was completed', () =>
    given(userMessaged(), assistantReserved(), assistantCompleted()).when(startTurn()).then([]));

  it('rejects the same id for the user and the assistant', () =>
    given()
      .when(startTurn({ assistant: { ...reply, messageId: USER } }))
      .thenThrows(MessageIdConflictError, { messageId: USER }));

  it.each([
    ['the user id is taken by another message', [userMessaged({ content: 'Hi' })], USER],
    ['the assistant id is taken by another message', [assistantReserved({ replyTo: null })], ASSISTANT],
    ['a retry changes the user content', [userMessaged({ content: 'Hi' }), assistantReserved()], USER],
  ])('rejects a turn when %s', (_case, events, messageId) =>
    given(...events)
      .when(startTurn())
      .thenThrows(MessageIdConflictError, { messageId }),
  );

  it('names the assistant id when a retry changes the assistant content', () =>
    given(userMessaged(), assistantReserved({ content: 'Thinking' }))
      .when(startTurn())
      .thenThrows(MessageIdConflictError, { messageId: ASSISTANT }));

  it('rejects two ids that were not created as one turn', () =>
    given(userMessaged(), userMessaged({ messageId: OTHER }), assistantReserved())
      .when(startTurn())
      .thenThrows(MessageIdConflictError));
});

describe('evolve', () => {
  const afterTurn = [userMessaged(), assistantReserved()].reduce(evolve, initialState);
  const completed = (status: 'success' | 'error') => evolve(afterTurn, assistantCompleted({ status }));

  it('counts revisions from -1, one per event', () => {
    expect(initialState.revision).toBe(-1);
    expect(afterTurn.revision).toBe(1);
    expect(completed('success').revision).toBe(2);
  });

  it('builds the user message at the revision of its event', () =>
    expect(afterTurn.messages.get(USER)?.message).toEqual({
      id: USER,
      projectId: PROJECT,
      sequence: 0,
      role: 'user',
      kind: 'message',
      status: 'success',
      content: user.content,
      imageUrls: [IMAGE, IMAGE_2],
      replyTo: null,
      createdAt: T1,
      updatedAt: null,
      createdBy: 'user-17',
      revision: 0,
      metadata: {},
    }));

  it('builds a pending assistant message at the revision of its event', () => {
    const pending = { sequence: 1, revision: 1, role: 'assistant', status: 'pending', replyTo: USER };
    expect(afterTurn.messages.get(ASSISTANT)?.message).toMatchObject({
      ...pending,
      imageUrls: [],
      updatedAt: null,
    });
  });

  it.each(['success', 'error'] as const)('completes the assistant message with %s', (status) => {
    const completion = { status, content: 'Done', sequence: 1, revision: 2, createdAt: T1, updatedAt: T2 };
    expect(completed(status).messages.get(ASSISTANT)).toEqual({
      reservedContent: reply.content,
      message: expect.objectContaining(completion),
    });
  });

  it('leaves the previous state as it was', () => {
    completed('error');
    expect(afterTurn.revision).toBe(1);
    expect(afterTurn.messages.get(ASSISTANT)?.message).toMatchObject({ status: 'pending', revision: 1 });
    expect(decide(completeAssistant(), afterTurn)).toEqual([assistantCompleted()]);
    expect(evolve(initialState, userMessaged()).messages.get(USER)).toBeDefined();
    expect(initialState.messages.get(USER)).toBeUndefined();
  });
});
