import type { ConversationEvent } from './conversation.events.js';
import { applyToMessage, type Message } from './message.js';

/** What the decider knows of a conversation: its revision and its messages. */

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
