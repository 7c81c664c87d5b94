import { evolve, initialState } from '../src/conversation/conversation.js';
import { type ConversationCommand, decide } from '../src/conversation/conversation.decide.js';
import { MessageIdConflictError, ReplyToNotFoundError } from '../src/conversation/conversation.errors.js';
import type { ConversationEvent } from '../src/conversation/conversation.events.js';
import { DeciderSpecification } from './support/decider-specification.js';

/** Conversations over several turns, told as given events / when a command / then events. */
const spec = DeciderSpecification.for({ decide, evolve, initialState });

const PROJECT = 'p-7';
const AT = '2026-11-26T10:00:00.000Z';
const LATER = '2026-11-26T10:01:00.000Z';

const turn = (n: number, user = `question ${n}`, assistant = '…'): ConversationCommand => ({
  type: 'StartTurn',
  projectId: PROJECT,
  user: { messageId: `u${n}`, content: user, imageUrls: [], metadata: {} },
  assistant: { messageId: `a${n}`, content: assistant, metadata: {} },
  createdBy: null,
  now: AT,
});

const turnEvents = (n: number, user = `question ${n}`, assistant = '…'): ConversationEvent[] => [
  {
    type: 'UserMessaged',
    data: {
      messageId: `u${n}`,
      projectId: PROJECT,
      content: user,
      imageUrls: [],
      createdBy: null,
      createdAt: AT,
      metadata: {},
    },
  },
  {
    type: 'AssistantReserved',
    data: {
      messageId: `a${n}`,
      projectId: PROJECT,
      content: assistant,
      replyTo: `u${n}`,
      createdBy: null,
      createdAt: AT,
      metadata: {},
    },
  },
];

const completed = (n: number, content = `answer ${n}`): ConversationEvent => ({
  type: 'AssistantCompleted',
  data: {
    messageId: `a${n}`,
    projectId: PROJECT,
    content,
    status: 'success',
    completedAt: LATER,
    metadata: {},
  },
});

const complete = (n: number, content = `answer ${n}`): ConversationCommand => ({
  type: 'CompleteAssistantMessage',
  projectId: PROJECT,
  messageId: `a${n}`,
  content,
  status: 'success',
  metadata: {},
  now: LATER,
});

describe('a conversation over several turns', () => {
  it('starts a second turn after the first was answered', () =>
    spec
      .given(...turnEvents(1), completed(1))
      .when(turn(2))
      .then(turnEvents(2)));

  it('completes the reply of a turn while a later turn waits', () =>
    spec
      .given(...turnEvents(1), ...turnEvents(2))
      .when(complete(1))
      .then([completed(1)]));

  it('takes the first turn, sent again after a later one, as a retry', () =>
    spec
      .given(...turnEvents(1), completed(1), ...turnEvents(2))
      .when(turn(1))
      .then([]));

  it('refuses a new turn that reuses an earlier turn’s user id', () =>
    spec
      .given(...turnEvents(1), completed(1))
      .when(turn(1, 'a different question'))
      .thenThrows(MessageIdConflictError, { messageId: 'u1' }));

  it('refuses a reservation that replies to an assistant message of an earlier turn', () =>
    spec
      .given(...turnEvents(1))
      .when({
        type: 'ReserveAssistantMessage',
        projectId: PROJECT,
        messageId: 'a9',
        content: '…',
        replyTo: 'a1',
        metadata: {},
        createdBy: null,
        now: AT,
      })
      .thenThrows(ReplyToNotFoundError, { replyTo: 'a1' }));
});
