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
}

/** Where a channel gets its changes from: consecutive revisions starting at `fromRevision`. */
export interface ChangeSource {
  read(projectId: string, fromRevision: number, maxCount: number): Promise<Change[]>;
}

const BACKWARDS_PAGE = 500;

export function frameOf(revision: number, name: string, message: Message): string {
  return `id: ${revision}\nevent: ${name}\ndata: ${JSON.stringify(message)}\n\n`;
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
      const name = event.type === 'AssistantCompleted' ? 'message.updated' : 'message.created';
      return { revision, frame: frameOf(revision, name, message) };
    });
  }

  /** The message each completion starts from, when it was created before this page. */
  private async basesFor(
    projectId: string,
    page: Parsed[],
    pageStart: number,
  ): Promise<Map<string, Message>> {
    const createdHere = new Set<string>();
    const missing = new Set<string>();
    for (const { event } of page) {
      const key = event.data.messageId.toLowerCase();
      if (event.type !== 'AssistantCompleted') createdHere.add(key);
      else if (!createdHere.has(key)) missing.add(key);
    }
    const bases = new Map<string, Message>();
    if (missing.size === 0) return bases;
    for (const message of await this.fromReadModel(projectId, [...missing])) {
      bases.set(message.id.toLowerCase(), message);
      missing.delete(message.id.toLowerCase());
    }
    if (missing.size > 0) await this.fromLog(projectId, missing, pageStart - 1, bases);
    return bases;
  }

  // Any projected state will do: a completion only changes status, content and updatedAt.
  private async fromReadModel(projectId: string, ids: string[]): Promise<Message[]> {
    const { rows } = await this.pool.query<MessageRow>({
      name: 'live_message_bases',
      text: `SELECT ${MESSAGE_COLUMNS} FROM rm_messages WHERE project_id = $1 AND id = ANY($2::uuid[])`,
      values: [projectId, ids],
    });
    return rows.map(toMessage);
  }

  /** The read model lags behind: find the creating events by reading the stream backwards. */
  private async fromLog(
    projectId: string,
    missing: Set<string>,
    before: number,
    bases: Map<string, Message>,
  ): Promise<void> {
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
        if (event.type === 'AssistantCompleted' || !missing.has(key)) continue;
        bases.set(key, applyToMessage(undefined, event, Number(recorded.revision)));
        missing.delete(key);
      }
      if (events.length < BACKWARDS_PAGE) return;
      from = Number(events.at(-1)?.revision ?? 0) - 1;
    }
  }
}
