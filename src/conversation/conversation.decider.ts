import type { CompletionStatus, ConversationEvent } from './conversation.events.js';
import { applyToMessage, assertNever, type Message } from './message.js';

/**
 * The conversation as a pure decider: no I/O and no clock; time, ids and the issuing subject
 * come in with the command.
 */

export interface PostUserMessage {
  type: 'PostUserMessage';
  projectId: string;
  messageId: string;
  content: string;
  imageUrls: string[];
  createdBy: string | null;
  now: string;
}

export interface ReserveAssistantMessage {
  type: 'ReserveAssistantMessage';
  projectId: string;
  messageId: string;
  content: string;
  replyTo: string | null;
  createdBy: string | null;
  now: string;
}

export interface CompleteAssistantMessage {
  type: 'CompleteAssistantMessage';
  projectId: string;
  messageId: string;
  content: string;
  status: CompletionStatus;
  now: string;
}

export interface StartTurn {
  type: 'StartTurn';
  projectId: string;
  user: { messageId: string; content: string; imageUrls: string[] };
  assistant: { messageId: string; content: string };
  createdBy: string | null;
  now: string;
}

export type ConversationCommand =
  PostUserMessage | ReserveAssistantMessage | CompleteAssistantMessage | StartTurn;

export interface MessageEntry {
  message: Message;
  /** What an assistant message was reserved with, to tell a retry from a different message. */
  reservedContent: string | null;
}

export interface MessageLookup {
  get(messageId: string): MessageEntry | undefined;
}

export interface ConversationState {
  /** Revision of the last event folded in; -1 for a conversation with no events. */
  revision: number;
  messages: MessageLookup;
}

const noMessages: MessageLookup = { get: () => undefined };

export const initialState: ConversationState = { revision: -1, messages: noMessages };

export class MessageIdConflictError extends Error {
  override readonly name = 'MessageIdConflictError';
  constructor(readonly messageId: string) {
    super(`Message id ${messageId} is already taken by a different message in this project`);
  }
}

export class ReplyToNotFoundError extends Error {
  override readonly name = 'ReplyToNotFoundError';
  constructor(readonly replyTo: string) {
    super(`replyTo ${replyTo} is not a user message of this project`);
  }
}

export class AssistantMessageNotFoundError extends Error {
  override readonly name = 'AssistantMessageNotFoundError';
  constructor(readonly messageId: string) {
    super(`No assistant message ${messageId} in this project`);
  }
}

export class CompletionConflictError extends Error {
  override readonly name = 'CompletionConflictError';
  constructor(readonly messageId: string) {
    super(`Assistant message ${messageId} was already completed with a different content or status`);
  }
}

export function decide(command: ConversationCommand, state: ConversationState): ConversationEvent[] {
  switch (command.type) {
    case 'PostUserMessage':
      return postUserMessage(command, state);
    case 'ReserveAssistantMessage':
      return reserveAssistantMessage(command, state);
    case 'CompleteAssistantMessage':
      return completeAssistantMessage(command, state);
    case 'StartTurn':
      return startTurn(command, state);
    default:
      return assertNever(command);
  }
}

export function evolve(state: ConversationState, event: ConversationEvent): ConversationState {
  const revision = state.revision + 1;
  const entry = nextEntry(state.messages.get(event.data.messageId), event, revision);
  return { revision, messages: new OneChange(state.messages, entry) };
}

/** The entry an event leaves behind; shared by evolve and by in-place folds of long streams. */
export function nextEntry(
  previous: MessageEntry | undefined,
  event: ConversationEvent,
  revision: number,
): MessageEntry {
  const message = applyToMessage(previous?.message, event, revision);
  const reservedContent =
    event.type === 'AssistantReserved' ? event.data.content : (previous?.reservedContent ?? null);
  return { message, reservedContent };
}

/** evolve's lookup: one changed entry over the previous state, which stays untouched. */
class OneChange implements MessageLookup {
  constructor(
    private readonly base: MessageLookup,
    private readonly entry: MessageEntry,
  ) {}

  get(messageId: string): MessageEntry | undefined {
    return messageId === this.entry.message.id ? this.entry : this.base.get(messageId);
  }
}

function postUserMessage(command: PostUserMessage, state: ConversationState): ConversationEvent[] {
  const existing = state.messages.get(command.messageId);
  if (existing) {
    if (isSameUserMessage(existing.message, command)) return [];
    throw new MessageIdConflictError(command.messageId);
  }
  return [userMessaged(command.projectId, command.messageId, command, command.createdBy, command.now)];
}

function reserveAssistantMessage(
  command: ReserveAssistantMessage,
  state: ConversationState,
): ConversationEvent[] {
  const existing = state.messages.get(command.messageId);
  if (existing) {
    if (isSameReservation(existing, command.content, command.replyTo)) return [];
    throw new MessageIdConflictError(command.messageId);
  }
  if (command.replyTo !== null && state.messages.get(command.replyTo)?.message.role !== 'user') {
    throw new ReplyToNotFoundError(command.replyTo);
  }
  return [
    assistantReserved(
      command.projectId,
      command.messageId,
      command.content,
      command.replyTo,
      command.createdBy,
      command.now,
    ),
  ];
}

function completeAssistantMessage(
  command: CompleteAssistantMessage,
  state: ConversationState,
): ConversationEvent[] {
  const existing = state.messages.get(command.messageId)?.message;
  if (!existing || existing.role !== 'assistant') throw new AssistantMessageNotFoundError(command.messageId);
  if (existing.status !== 'pending') {
    if (existing.status === command.status && existing.content === command.content) return [];
    throw new CompletionConflictError(command.messageId);
  }
  return [
    {
      type: 'AssistantCompleted',
      data: {
        messageId: command.messageId,
        projectId: command.projectId,
        content: command.content,
        status: command.status,
        completedAt: command.now,
      },
    },
  ];
}

function startTurn(command: StartTurn, state: ConversationState): ConversationEvent[] {
  const { user, assistant } = command;
  if (user.messageId === assistant.messageId) throw new MessageIdConflictError(assistant.messageId);
  const existingUser = state.messages.get(user.messageId);
  const existingAssistant = state.messages.get(assistant.messageId);
  if (existingUser || existingAssistant) {
    const isRetry =
      existingUser !== undefined &&
      existingAssistant !== undefined &&
      isSameUserMessage(existingUser.message, user) &&
      isSameReservation(existingAssistant, assistant.content, user.messageId) &&
      existingAssistant.message.sequence === existingUser.message.sequence + 1;
    if (isRetry) return [];
    // Name the id at fault: the assistant's only when the user message is this turn's own.
    const assistantAtFault =
      existingAssistant && existingUser && isSameUserMessage(existingUser.message, user);
    throw new MessageIdConflictError(
      existingUser && !assistantAtFault ? user.messageId : assistant.messageId,
    );
  }
  return [
    userMessaged(command.projectId, user.messageId, user, command.createdBy, command.now),
    assistantReserved(
      command.projectId,
      assistant.messageId,
      assistant.content,
      user.messageId,
      command.createdBy,
      command.now,
    ),
  ];
}

function isSameUserMessage(message: Message, candidate: { content: string; imageUrls: string[] }): boolean {
  return (
    message.role === 'user' &&
    message.content === candidate.content &&
    message.imageUrls.length === candidate.imageUrls.length &&
    message.imageUrls.every((url, i) => url === candidate.imageUrls[i])
  );
}

function isSameReservation(entry: MessageEntry, content: string, replyTo: string | null): boolean {
  return (
    entry.message.role === 'assistant' &&
    entry.reservedContent === content &&
    entry.message.replyTo === replyTo
  );
}

function userMessaged(
  projectId: string,
  messageId: string,
  user: { content: string; imageUrls: string[] },
  createdBy: string | null,
  createdAt: string,
): ConversationEvent {
  return {
    type: 'UserMessaged',
    data: { messageId, projectId, content: user.content, imageUrls: user.imageUrls, createdBy, createdAt },
  };
}

function assistantReserved(
  projectId: string,
  messageId: string,
  content: string,
  replyTo: string | null,
  createdBy: string | null,
  createdAt: string,
): ConversationEvent {
  return {
    type: 'AssistantReserved',
    data: { messageId, projectId, content, replyTo, createdBy, createdAt },
  };
}
