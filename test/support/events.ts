import { randomUUID } from 'node:crypto';
import type { NewEvent } from '../../src/event-store/event-store.port.js';

const METADATA = { correlationId: null, causationId: null, userId: null, schemaVersion: 1 };

/** An event of any type, for tests of the event store itself. */
export function newEvent(type = 'Happened', data: Record<string, unknown> = {}): NewEvent {
  return { id: randomUUID(), type, data, metadata: { ...METADATA } };
}

/**
 * A UserMessaged event as the service would write it; `content` may be of any type, so that a
 * test can write one the projection must refuse, and `data` overrides any field.
 */
export function userMessagedEvent(
  projectId: string,
  content: unknown,
  data: Record<string, unknown> = {},
): NewEvent {
  return newEvent('UserMessaged', {
    messageId: randomUUID(),
    projectId,
    content,
    imageUrls: [],
    createdBy: null,
    createdAt: new Date().toISOString(),
    ...data,
  });
}
