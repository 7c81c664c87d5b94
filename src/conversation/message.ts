import type {
  AssistantCompleted,
  AssistantDeltaAppended,
  AssistantReserved,
  ConversationEvent,
  MessageKind,
  MessageMetadata,
  UserMessaged,
} from './conversation.events.js';

/** The most a message's content may hold (UTF-16 code units), streamed or not. */
export const MAX_CONTENT_LENGTH = 100_000;

/** The Message resource of the HTTP contract. */
export interface Message {
  id: string;
  projectId: string;
  sequence: number;
  role: 'user' | 'assistant';
  kind: MessageKind;
  status: 'success' | 'pending' | 'error';
  content: string;
  imageUrls: string[];
  replyTo: string | null;
  createdAt: string;
  updatedAt: string | null;
  createdBy: string | null;
  revision: number;
  /** What the client attached: the creation's, with the completion's merged over it; `{}` when none. */
  metadata: MessageMetadata;
}

/**
 * The one place that says how an event changes a message. The write side's decision state and
 * the read model both fold events with it, so they cannot disagree.
 */
export function applyToMessage(
  previous: Message | undefined,
  event: ConversationEvent,
  revision: number,
): Message {
  switch (event.type) {
    case 'UserMessaged':
      return userMessage(event, revision);
    case 'AssistantReserved':
      return reservedMessage(event, revision);
    case 'AssistantCompleted':
      return completedMessage(previous, event, revision);
    case 'AssistantDeltaAppended':
      return streamedMessage(previous, event, revision);
    default:
      return assertNever(event);
  }
}

function userMessage({ data }: UserMessaged, revision: number): Message {
  return {
    id: data.messageId,
    projectId: data.projectId,
    sequence: revision,
    role: 'user',
    kind: data.kind ?? 'message',
    status: 'success',
    content: data.content,
    imageUrls: data.imageUrls,
    replyTo: null,
    createdAt: data.createdAt,
    updatedAt: null,
    createdBy: data.createdBy,
    revision,
    metadata: data.metadata,
  };
}

function reservedMessage({ data }: AssistantReserved, revision: number): Message {
  return {
    id: data.messageId,
    projectId: data.projectId,
    sequence: revision,
    role: 'assistant',
    kind: data.kind ?? 'message',
    status: 'pending',
    content: data.content,
    imageUrls: data.imageUrls ?? [],
    replyTo: data.replyTo,
    createdAt: data.createdAt,
    updatedAt: null,
    createdBy: data.createdBy,
    revision,
    metadata: data.metadata,
  };
}

function completedMessage(
  previous: Message | undefined,
  { data }: AssistantCompleted,
  revision: number,
): Message {
  if (!previous)
    throw new Error(`AssistantCompleted at revision ${revision} for unknown message ${data.messageId}`);
  return {
    ...previous,
    status: data.status,
    content: data.content,
    updatedAt: data.completedAt,
    revision,
    metadata: { ...previous.metadata, ...data.metadata },
  };
}

/** A delta continues the content exactly where it ends; anything else means the log is corrupt. */
function streamedMessage(
  previous: Message | undefined,
  { data }: AssistantDeltaAppended,
  revision: number,
): Message {
  if (!previous)
    throw new Error(`AssistantDeltaAppended at revision ${revision} for unknown message ${data.messageId}`);
  if (previous.content.length !== data.offset)
    throw new Error(
      `AssistantDeltaAppended at revision ${revision} has offset ${data.offset}, the content's length is ${previous.content.length}`,
    );
  return { ...previous, content: previous.content + data.delta, revision };
}

export function assertNever(value: never): never {
  throw new Error(`Unexpected value: ${JSON.stringify(value)}`);
}
