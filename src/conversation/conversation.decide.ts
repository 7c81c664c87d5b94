import { type ConversationState, type MessageEntry } from './conversation.js';
import {
  AssistantMessageNotFoundError,
  CompletionConflictError,
  MessageIdConflictError,
  ContentTooLongError,
  NotStreamingError,
  ReplyToNotFoundError,
  StaleOffsetError,
} from './conversation.errors.js';
import type {
  AssistantCompleted,
  AssistantDeltaAppended,
  AssistantReserved,
  CompletionStatus,
  ConversationEvent,
  MessageMetadata,
  UserMessaged,
} from './conversation.events.js';
import { assertNever, MAX_CONTENT_LENGTH, type Message } from './message.js';

/**
 * The conversation's commands and what each decides, pure: no I/O and no clock; time, ids and
 * the issuing subject come in with the command.
 */

export interface PostUserMessage {
  type: 'PostUserMessage';
  projectId: string;
  messageId: string;
  content: string;
  imageUrls: string[];
  createdBy: string | null;
  metadata: MessageMetadata;
  now: string;
}

export interface ReserveAssistantMessage {
  type: 'ReserveAssistantMessage';
  projectId: string;
  messageId: string;
  content: string;
  replyTo: string | null;
  createdBy: string | null;
  metadata: MessageMetadata;
  now: string;
}

export interface CompleteAssistantMessage {
  type: 'CompleteAssistantMessage';
  projectId: string;
  messageId: string;
  /** Omitted: the content streamed so far stands. */
  content: string | undefined;
  status: CompletionStatus;
  metadata: MessageMetadata;
  now: string;
}

export interface StreamAssistantDelta {
  type: 'StreamAssistantDelta';
  projectId: string;
  messageId: string;
  offset: number;
  delta: string;
}

export interface StartTurn {
  type: 'StartTurn';
  projectId: string;
  user: { messageId: string; content: string; imageUrls: string[]; metadata: MessageMetadata };
  assistant: { messageId: string; content: string; metadata: MessageMetadata };
  createdBy: string | null;
  now: string;
}

export type ConversationCommand =
  PostUserMessage | ReserveAssistantMessage | CompleteAssistantMessage | StreamAssistantDelta | StartTurn;

export function decide(command: ConversationCommand, state: ConversationState): ConversationEvent[] {
  switch (command.type) {
    case 'PostUserMessage':
      return postUserMessage(command, state);
    case 'ReserveAssistantMessage':
      return reserveAssistantMessage(command, state);
    case 'CompleteAssistantMessage':
      return completeAssistantMessage(command, state);
    case 'StreamAssistantDelta':
      return streamAssistantDelta(command, state);
    case 'StartTurn':
      return startTurn(command, state);
    default:
      return assertNever(command);
  }
}

function postUserMessage(command: PostUserMessage, state: ConversationState): ConversationEvent[] {
  const { projectId, messageId, content, imageUrls, createdBy, metadata, now } = command;
  const existing = state.messages.get(messageId);
  if (existing) {
    if (isSameUserMessage(existing.message, command)) return [];
    throw new MessageIdConflictError(messageId);
  }
  return [userMessaged({ messageId, projectId, content, imageUrls, createdBy, createdAt: now, metadata })];
}

function reserveAssistantMessage(
  command: ReserveAssistantMessage,
  state: ConversationState,
): ConversationEvent[] {
  const { projectId, messageId, content, replyTo, createdBy, metadata, now } = command;
  const existing = state.messages.get(messageId);
  if (existing) {
    if (isSameReservation(existing, content, replyTo)) return [];
    throw new MessageIdConflictError(messageId);
  }
  if (replyTo !== null && state.messages.get(replyTo)?.message.role !== 'user') {
    throw new ReplyToNotFoundError(replyTo);
  }
  return [assistantReserved({ messageId, projectId, content, replyTo, createdBy, createdAt: now, metadata })];
}

function completeAssistantMessage(
  command: CompleteAssistantMessage,
  state: ConversationState,
): ConversationEvent[] {
  const { projectId, messageId, status, metadata, now } = command;
  const existing = state.messages.get(messageId)?.message;
  if (!existing || existing.role !== 'assistant') throw new AssistantMessageNotFoundError(messageId);
  // The completed content is always stored whole, so the event stands on its own.
  const content = command.content ?? existing.content;
  if (existing.status !== 'pending') {
    const isRetry =
      existing.status === status && existing.content === content && includes(existing.metadata, metadata);
    if (isRetry) return [];
    throw new CompletionConflictError(messageId);
  }
  return [assistantCompleted({ messageId, projectId, content, status, completedAt: now, metadata })];
}

/**
 * The offset is what makes a delta safe to send again: a delta that ends where the content ends,
 * at the offset it names, was appended already.
 */
function streamAssistantDelta(command: StreamAssistantDelta, state: ConversationState): ConversationEvent[] {
  const { projectId, messageId, offset, delta } = command;
  const existing = state.messages.get(messageId)?.message;
  if (!existing || existing.role !== 'assistant') throw new AssistantMessageNotFoundError(messageId);
  if (existing.status !== 'pending') throw new NotStreamingError(messageId);
  const { content } = existing;
  if (offset === content.length) {
    if (content.length + delta.length > MAX_CONTENT_LENGTH) throw new ContentTooLongError(messageId);
    return [assistantDeltaAppended({ messageId, projectId, offset, delta })];
  }
  const isRetry = offset + delta.length === content.length && content.endsWith(delta);
  if (isRetry) return [];
  throw new StaleOffsetError(messageId, content.length);
}

/** Whether every key of `part` is in `whole` with the same value (a completion's retry). */
function includes(whole: MessageMetadata, part: MessageMetadata): boolean {
  return Object.entries(part).every(([key, value]) => JSON.stringify(whole[key]) === JSON.stringify(value));
}

function startTurn(command: StartTurn, state: ConversationState): ConversationEvent[] {
  const { projectId, user, assistant, createdBy, now } = command;
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
    userMessaged({
      messageId: user.messageId,
      projectId,
      content: user.content,
      imageUrls: user.imageUrls,
      createdBy,
      createdAt: now,
      metadata: user.metadata,
    }),
    assistantReserved({
      messageId: assistant.messageId,
      projectId,
      content: assistant.content,
      replyTo: user.messageId,
      createdBy,
      createdAt: now,
      metadata: assistant.metadata,
    }),
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

function userMessaged(data: UserMessaged['data']): UserMessaged {
  return { type: 'UserMessaged', data };
}

function assistantReserved(data: AssistantReserved['data']): AssistantReserved {
  return { type: 'AssistantReserved', data };
}

function assistantCompleted(data: AssistantCompleted['data']): AssistantCompleted {
  return { type: 'AssistantCompleted', data };
}

function assistantDeltaAppended(data: AssistantDeltaAppended['data']): AssistantDeltaAppended {
  return { type: 'AssistantDeltaAppended', data };
}
