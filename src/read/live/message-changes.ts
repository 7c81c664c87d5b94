import { Inject, Injectable } from '@nestjs/common';
import type pg from 'pg';
import { MESSAGE_COLUMNS, type MessageRow, toMessage } from '../../../projections/index.js';
import { upcast } from '../../conversation/conversation.upcast.js';
import { type ConversationEvent } from '../../conversation/conversation.events.js';
import { applyToMessage, type Message } from '../../conversation/message.js';
import { PG_POOL } from '../../database/database.module.js';
import { EVENT_STORE, type EventStore } from '../../event-store/event-store.port.js';
import { streamNameOf } from '../../conversation/conversation-stream.js';

/** One SSE event, framed once and written as is to every subscriber. */
export interface Change {
  revision: number;
  frame: string;
  /**
   * A streamed piece of a reply: its message, and the whole message as of this revision as a
   * `message.updated` frame, which stands in for a run of pieces sent to a client far behind.
   */
  delta?: { messageId: string; snapshot: () => string };
}

/** Where a channel gets its changes from: consecutive revisions starting at `fromRevision`. */
export interface ChangeSource {
  read(projectId: string, fromRevision: number, maxCount: number): Promise<Change[]>;
}

const BACKWARDS_PAGE = 500;

export function frameOf(revision: number, name: string, message: unknown): string {
  return `id: ${revision}\nevent: ${name}\ndata: ${JSON.stringify(message)}\n\n`;
}

function isCreation(event: ConversationEvent): boolean {
  return event.type === 'UserMessaged' || event.type === 'AssistantReserved';
}

/** A piece is sent as itself; the whole message only when a client needs it (built once, on demand). */
function changeOf(revision: number, event: ConversationEvent, message: Message): Change {
  if (event.type !== 'AssistantDeltaAppended') {
    const name = isCreation(event) ? 'message.created' : 'message.updated';
    return { revision, frame: frameOf(revision, name, message) };
  }
  const { messageId, offset, delta } = event.data;
  let snapshot: string | undefined;
  return {
    revision,
    frame: frameOf(revision, 'message.delta', { id: message.id, offset, delta }),
    delta: { messageId, snapshot: () => (snapshot ??= frameOf(revision, 'message.updated', message)) },
  };
}

interface Parsed {
  revision: number;
  event: ConversationEvent;
}

/** Reads a page of the event log and turns it into message changes as of each revision. */
@Injectable()
export class MessageChangeReader implements ChangeSource {
  constructor(
    @Inject(EVENT_STORE) private readonly store: EventStore,
    @Inject(PG_POOL) private readonly pool: pg.Pool,
  ) {}

  async read(projectId: string, fromRevision: number, maxCount: number): Promise<Change[]> {
    const recorded = await this.store.readStream(streamNameOf(projectId), {
      fromRevision: BigInt(fromRevision),
      maxCount,
    });
    const parsed: Parsed[] = [];
    // Stop at a hole rather than ever skipping a revision.
    for (const [index, event] of recorded.entries()) {
      if (Number(event.revision) !== fromRevision + index) break;
      parsed.push({ revision: Number(event.revision), event: upcast(event) });
    }
    const messages = await this.basesFor(projectId, parsed, fromRevision);
    return parsed.map(({ revision, event }) => {
      const key = event.data.messageId.toLowerCase();
      const message = applyToMessage(messages.get(key), event, revision);
      messages.set(key, message);
      return changeOf(revision, event, message);
    });
  }

  /**
   * The message each change of an earlier message starts from. A completion may start from any
   * projected state of it (it replaces the content and merges its metadata over the rest); a piece
   * needs the content exactly as it was, which a pending row holds as a prefix (a pending
   * message's content only grows). Otherwise the log says.
   */
  private async basesFor(
    projectId: string,
    page: Parsed[],
    pageStart: number,
  ): Promise<Map<string, Message>> {
    const createdHere = new Set<string>();
    /** Per message needed: the offset of its first piece in the page, or null for a completion. */
    const missing = new Map<string, number | null>();
    for (const { event } of page) {
      const key = event.data.messageId.toLowerCase();
      if (isCreation(event)) createdHere.add(key);
      else if (!createdHere.has(key) && !missing.has(key))
        missing.set(key, event.type === 'AssistantDeltaAppended' ? event.data.offset : null);
    }
    const bases = new Map<string, Message>();
    if (missing.size === 0) return bases;
    for (const row of await this.fromReadModel(projectId, [...missing.keys()])) {
      const key = row.id.toLowerCase();
      const offset = missing.get(key);
      if (offset === null) {
        bases.set(key, row);
      } else if (offset !== undefined && row.status === 'pending' && row.content.length >= offset) {
        bases.set(key, { ...row, content: row.content.slice(0, offset) });
      } else continue;
      missing.delete(key);
    }
    if (missing.size > 0) await this.fromLog(projectId, new Set(missing.keys()), pageStart - 1, bases);
    return bases;
  }

  private async fromReadModel(projectId: string, ids: string[]): Promise<Message[]> {
    const { rows } = await this.pool.query<MessageRow>({
      name: 'live_message_bases',
      text: `SELECT ${MESSAGE_COLUMNS} FROM rm_messages WHERE project_id = $1 AND id = ANY($2::uuid[])`,
      values: [projectId, ids],
    });
    return rows.map(toMessage);
  }

  /**
   * The read model lags behind (or a reply was completed since): read the stream backwards to
   * each message's creation, then fold what followed it up to the page.
   */
  private async fromLog(
    projectId: string,
    missing: Set<string>,
    before: number,
    bases: Map<string, Message>,
  ): Promise<void> {
    const later = new Map<string, Parsed[]>();
    let from = before;
    while (missing.size > 0 && from >= 0) {
      const events = await this.store.readStream(streamNameOf(projectId), {
        direction: 'backwards',
        fromRevision: BigInt(from),
        maxCount: BACKWARDS_PAGE,
      });
      for (const recorded of events) {
        const event = upcast(recorded);
        const key = event.data.messageId.toLowerCase();
        if (!missing.has(key)) continue;
        const revision = Number(recorded.revision);
        if (!isCreation(event)) {
          // Newest first, as read; reversed when folded.
          const list = later.get(key) ?? [];
          list.push({ revision, event });
          later.set(key, list);
          continue;
        }
        const folded = (later.get(key) ?? []).reduceRight(
          (message, change) => applyToMessage(message, change.event, change.revision),
          applyToMessage(undefined, event, revision),
        );
        bases.set(key, folded);
        missing.delete(key);
      }
      if (events.length < BACKWARDS_PAGE) return;
      from = Number(events.at(-1)?.revision ?? 0) - 1;
    }
  }
}
