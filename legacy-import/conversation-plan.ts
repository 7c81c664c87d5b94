import {
  type CompletionStatus,
  type ConversationEvent,
  CURRENT_SCHEMA_VERSION,
} from '../src/conversation/conversation.events.js';
import { uuidv5 } from '../src/conversation/ids.js';
import type { EventMetadata, NewEvent } from '../src/event-store/event-store.port.js';
import type { LegacyMessage } from './legacy-row.js';

/** Where an imported event came from: in its metadata, so a later run recognises it. */
export interface LegacyOrigin {
  runId: string;
  table: string;
  sequence?: number;
  status?: string;
  /** The legacy columns this importer does not map, when not null. */
  columns?: Record<string, unknown>;
}

export type ImportedEventMetadata = EventMetadata & { legacy: LegacyOrigin };

export interface PlanContext {
  runId: string;
  table: string;
  pairWindowMs: number | undefined;
}

/** One project's events, in the order they are to be appended, and what planning them found. */
export interface ConversationPlan {
  events: NewEvent[];
  messages: number;
  repairs: number;
  duplicateLegacySequences: number;
  zeroLegacySequences: number;
}

const EVENT_NAMESPACE = Buffer.from('3b0f6e0a9c2d4f6b8e1a7c5d2f9b4e60', 'hex');

/** The legacy rows of one project, already in import order, as conversation events. */
export function planConversation(rows: readonly LegacyMessage[], context: PlanContext): ConversationPlan {
  const { ordered, repairs } = repairPairs(rows, context.pairWindowMs);
  const events: NewEvent[] = [];
  let lastUser: string | null = null;
  for (const row of ordered) {
    for (const event of eventsOf(row, lastUser)) events.push(toNewEvent(event, row, context));
    if (row.role === 'user') lastUser = row.id;
  }
  return { events, messages: rows.length, repairs, ...legacySequenceDamage(rows) };
}

/**
 * The legacy race: the assistant placeholder was often stamped a few ms before the user message
 * it answers. Within the window, such an assistant row is placed after the user row behind it.
 */
export function repairPairs(
  rows: readonly LegacyMessage[],
  windowMs: number | undefined,
): { ordered: LegacyMessage[]; repairs: number } {
  const ordered = [...rows];
  if (windowMs === undefined) return { ordered, repairs: 0 };
  let repairs = 0;
  for (let i = 0; i + 1 < ordered.length; i++) {
    const assistant = ordered[i] as LegacyMessage;
    const user = ordered[i + 1] as LegacyMessage;
    const gap = user.createdAt.getTime() - assistant.createdAt.getTime();
    if (assistant.role !== 'assistant' || user.role !== 'user' || gap < 0 || gap > windowMs) continue;
    ordered[i] = user;
    ordered[i + 1] = assistant;
    repairs++;
    i++;
  }
  return { ordered, repairs };
}

/**
 * Sequences given twice in one project (the racy `max(sequence)+1`), and zeros (never set): 0 is
 * counted apart, as it says a code path skipped the column rather than that two writers raced.
 */
export function legacySequenceDamage(rows: readonly LegacyMessage[]) {
  const seen = new Set<number>();
  let duplicateLegacySequences = 0;
  let zeroLegacySequences = 0;
  for (const { sequence } of rows) {
    if (sequence === null) continue;
    if (sequence === 0) zeroLegacySequences++;
    else if (seen.has(sequence)) duplicateLegacySequences++;
    else seen.add(sequence);
  }
  return { duplicateLegacySequences, zeroLegacySequences };
}

function eventsOf(row: LegacyMessage, lastUser: string | null): ConversationEvent[] {
  // Legacy rows had no message metadata (their extra columns travel under `legacy`).
  const base = { messageId: row.id, projectId: row.projectId, createdBy: row.createdBy, metadata: {} };
  const createdAt = row.createdAt.toISOString();
  if (row.role === 'user') {
    return [
      {
        type: 'UserMessaged',
        data: { ...base, content: row.content, imageUrls: row.imageUrls, createdAt, kind: row.kind },
      },
    ];
  }
  const completed = row.status === 'success' || row.status === 'error';
  const reserved: ConversationEvent = {
    type: 'AssistantReserved',
    data: {
      ...base,
      // A completed reply's text is in its completion; the placeholder's was never kept.
      content: completed ? '' : row.content,
      replyTo: lastUser,
      createdAt,
      kind: row.kind,
      ...(row.imageUrls.length > 0 ? { imageUrls: row.imageUrls } : {}),
    },
  };
  if (!completed) return [reserved];
  const completedAt = (row.updatedAt ?? row.createdAt).toISOString();
  return [
    reserved,
    {
      type: 'AssistantCompleted',
      data: {
        messageId: row.id,
        projectId: row.projectId,
        content: row.content,
        status: row.status as CompletionStatus,
        completedAt,
        metadata: {},
      },
    },
  ];
}

function toNewEvent(event: ConversationEvent, row: LegacyMessage, context: PlanContext): NewEvent {
  const legacy: LegacyOrigin = { runId: context.runId, table: context.table };
  if (row.sequence !== null) legacy.sequence = row.sequence;
  if (row.status !== null) legacy.status = row.status;
  if (Object.keys(row.extra).length > 0) legacy.columns = row.extra;
  const metadata: ImportedEventMetadata = {
    correlationId: context.runId,
    causationId: null,
    userId: row.createdBy,
    schemaVersion: CURRENT_SCHEMA_VERSION,
    legacy,
  };
  return { id: importedEventId(row.id, event.type), type: event.type, data: event.data, metadata };
}

/** The same legacy row always gives the same event ids, whichever run imports it. */
export function importedEventId(messageId: string, type: string): string {
  return uuidv5(EVENT_NAMESPACE, `${messageId}/${type}`);
}

export function isImported(metadata: EventMetadata): boolean {
  return typeof (metadata as Partial<ImportedEventMetadata>).legacy === 'object';
}
