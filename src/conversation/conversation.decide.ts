import { type ConversationState, type MessageEntry } from './conversation.js';
import {
  AssistantMessageNotFoundError,
  CompletionConflictError,
  MessageIdConflictError,
  ReplyToNotFoundError,
} from './conversation.errors.js';
import type {
  AssistantCompleted,
  AssistantReserved,
  CompletionStatus,
  ConversationEvent,
  UserMessaged,
} from './conversation.events.js';
import { assertNever, type Message } from './message.js';

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

function postUserMessage(command: PostUserMessage, state: ConversationState): ConversationEvent[] {
  const { projectId, messageId, content, imageUrls, createdBy, now } = command;
  const existing = state.messages.get(messageId);
  if (existing) {
    if (isSameUserMessage(existing.message, command)) return [];
    throw new MessageIdConflictError(messageId);
  }
  return [userMessaged({ messageId, projectId, content, imageUrls, createdBy, createdAt: now })];
}

function reserveAssistantMessage(
  command: ReserveAssistantMessage,
  state: ConversationState,
): ConversationEvent[] {
  const { projectId, messageId, content, replyTo, createdBy, now } = command;
  const existing = state.messages.get(messageId);
  if (existing) {
    if (isSameReservation(existing, content, replyTo)) return [];
    throw new MessageIdConflictError(messageId);
  }
  if (replyTo !== null && state.messages.get(replyTo)?.message.role !== 'user') {
    throw new ReplyToNotFoundError(replyTo);
  }
  return [assistantReserved({ messageId, projectId, content, replyTo, createdBy, createdAt: now })];
}

function completeAssistantMessage(
  command: CompleteAssistantMessage,
  state: ConversationState,
): ConversationEvent[] {
  const { projectId, messageId, content, status, now } = command;
  const existing = state.messages.get(messageId)?.message;
  if (!existing || existing.role !== 'assistant') throw new AssistantMessageNotFoundError(messageId);
  if (existing.status !== 'pending') {
    if (existing.status === status && existing.content === content) return [];
    throw new CompletionConflictError(messageId);
  }
  return [assistantCompleted({ messageId, projectId, content, status, completedAt: now })];
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
    }),
    assistantReserved({
      messageId: assistant.messageId,
      projectId,
      content: assistant.content,
      replyTo: user.messageId,
      createdBy,
      createdAt: now,
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
