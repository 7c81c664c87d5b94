import type { RecordedEvent } from '../event-store/event-store.port.js';
import {
  type ConversationEvent,
  CURRENT_SCHEMA_VERSION,
  isConversationEvent,
} from './conversation.events.js';

/**
 * Turns a stored event into the current event shape. Every type is at schema version 1 so far;
 * when one changes, its older versions are converted here and nowhere else.
 */
export function upcast(recorded: RecordedEvent): ConversationEvent {
  if (!isConversationEvent(recorded)) {
    throw new Error(`${recorded.streamName}@${recorded.revision}: unknown event type ${recorded.type}`);
  }
  const version = recorded.metadata?.schemaVersion ?? 1;
  if (version > CURRENT_SCHEMA_VERSION) {
    throw new Error(
      `${recorded.streamName}@${recorded.revision}: schema version ${version} is newer than this service`,
    );
  }
  return { type: recorded.type, data: recorded.data } as ConversationEvent;
}
