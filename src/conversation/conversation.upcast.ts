import type { RecordedEvent } from '../event-store/event-store.port.js';
import {
  type ConversationEvent,
  CURRENT_SCHEMA_VERSION,
  isConversationEvent,
} from './conversation.events.js';

export class MalformedEventError extends Error {
  override readonly name = 'MalformedEventError';
}

type FieldType =
  'string' | 'string?' | 'string[]' | 'string[] or absent' | 'kind or absent' | 'integer' | 'object';

const REQUIRED: Record<ConversationEvent['type'], Record<string, FieldType>> = {
  UserMessaged: {
    messageId: 'string',
    projectId: 'string',
    content: 'string',
    imageUrls: 'string[]',
    createdBy: 'string?',
    createdAt: 'string',
    kind: 'kind or absent',
    metadata: 'object',
  },
  AssistantReserved: {
    messageId: 'string',
    projectId: 'string',
    content: 'string',
    replyTo: 'string?',
    createdBy: 'string?',
    createdAt: 'string',
    kind: 'kind or absent',
    imageUrls: 'string[] or absent',
    metadata: 'object',
  },
  AssistantCompleted: {
    messageId: 'string',
    projectId: 'string',
    content: 'string',
    status: 'string',
    completedAt: 'string',
    metadata: 'object',
  },
  AssistantDeltaAppended: {
    messageId: 'string',
    projectId: 'string',
    offset: 'integer',
    delta: 'string',
  },
};

/** Events of schema version 1 predate message metadata: they carry none, which reads as `{}`. */
const METADATA_SINCE = 2;

/**
 * Turns a stored event into the current event shape, checking it on the way. Older versions are
 * converted here only: every other reader sees the current shape.
 */
export function upcast(recorded: RecordedEvent): ConversationEvent {
  if (!isConversationEvent(recorded)) throw new MalformedEventError(`unknown event type ${recorded.type}`);
  const version = recorded.metadata?.schemaVersion ?? 1;
  if (version > CURRENT_SCHEMA_VERSION) {
    throw new MalformedEventError(`schema version ${version} is newer than this service`);
  }
  const stored = recorded.data as Record<string, unknown> | null;
  if (typeof stored !== 'object' || stored === null) throw new MalformedEventError('data is not an object');
  const required = REQUIRED[recorded.type];
  const data = version < METADATA_SINCE && 'metadata' in required ? { ...stored, metadata: {} } : stored;
  for (const [field, type] of Object.entries(required)) {
    if (!hasType(data[field], type)) throw new MalformedEventError(`data.${field} is not a ${type}`);
  }
  if (recorded.type === 'AssistantCompleted' && !['success', 'error'].includes(data.status as string)) {
    throw new MalformedEventError(`data.status is not success or error`);
  }
  return { type: recorded.type, data } as ConversationEvent;
}

function hasType(value: unknown, type: FieldType): boolean {
  switch (type) {
    case 'string':
      return typeof value === 'string';
    case 'string?':
      return typeof value === 'string' || value === null;
    case 'string[]':
      return Array.isArray(value) && value.every((item) => typeof item === 'string');
    case 'string[] or absent':
      return value === undefined || hasType(value, 'string[]');
    case 'kind or absent':
      return value === undefined || value === 'message' || value === 'status';
    case 'integer':
      return Number.isSafeInteger(value) && (value as number) >= 0;
    case 'object':
      return typeof value === 'object' && value !== null && !Array.isArray(value);
  }
}
