/** The conversation stream's events: plain data, as stored and as GET .../events shows them. */

export type CompletionStatus = 'success' | 'error';

/** `status` only on history imported from the legacy table; the API creates `message`s. */
export type MessageKind = 'message' | 'status';
/** What a client attaches to a message (model, token counts, tool calls): a JSON object. */
export type MessageMetadata = Record<string, unknown>;

export interface UserMessaged {
  type: 'UserMessaged';
  data: {
    messageId: string;
    projectId: string;
    content: string;
    imageUrls: string[];
    createdBy: string | null;
    createdAt: string;
    /** Absent means `message`. */
    kind?: MessageKind;
    metadata: MessageMetadata;
  };
}

export interface AssistantReserved {
  type: 'AssistantReserved';
  data: {
    messageId: string;
    projectId: string;
    content: string;
    replyTo: string | null;
    createdBy: string | null;
    createdAt: string;
    /** Absent means `message`. */
    kind?: MessageKind;
    /** Only imported replies carry images; absent means none. */
    imageUrls?: string[];
    metadata: MessageMetadata;
  };
}

export interface AssistantCompleted {
  type: 'AssistantCompleted';
  data: {
    messageId: string;
    projectId: string;
    content: string;
    status: CompletionStatus;
    completedAt: string;
    /** Merged over the reservation's metadata, key by key. */
    metadata: MessageMetadata;
  };
}

/** The next piece of a reply being generated: `offset` is the content's length before it. */
export interface AssistantDeltaAppended {
  type: 'AssistantDeltaAppended';
  data: {
    messageId: string;
    projectId: string;
    offset: number;
    delta: string;
  };
}

export type ConversationEvent =
  UserMessaged | AssistantReserved | AssistantCompleted | AssistantDeltaAppended;

export type ConversationEventType = ConversationEvent['type'];

export const CONVERSATION_EVENT_TYPES: readonly ConversationEventType[] = [
  'UserMessaged',
  'AssistantReserved',
  'AssistantCompleted',
  'AssistantDeltaAppended',
];

/**
 * Current shape of every event type; readers upcast older versions. Version 2 added `metadata` to
 * the events that create or complete a message (version 1 events have none: `{}`).
 */
export const CURRENT_SCHEMA_VERSION = 2;

export function isConversationEvent(event: { type: string }): event is ConversationEvent {
  return (CONVERSATION_EVENT_TYPES as readonly string[]).includes(event.type);
}
