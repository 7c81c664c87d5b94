/** The conversation stream's events: plain data, as stored and as GET .../events shows them. */

export type CompletionStatus = 'success' | 'error';

/** `status` only on history imported from the legacy table; the API creates `message`s. */
export type MessageKind = 'message' | 'status';

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
  };
}

export type ConversationEvent = UserMessaged | AssistantReserved | AssistantCompleted;

export type ConversationEventType = ConversationEvent['type'];

export const CONVERSATION_EVENT_TYPES: readonly ConversationEventType[] = [
  'UserMessaged',
  'AssistantReserved',
  'AssistantCompleted',
];

/** Current shape of every event type; readers upcast older versions when one changes. */
export const CURRENT_SCHEMA_VERSION = 1;

export function isConversationEvent(event: { type: string }): event is ConversationEvent {
  return (CONVERSATION_EVENT_TYPES as readonly string[]).includes(event.type);
}
