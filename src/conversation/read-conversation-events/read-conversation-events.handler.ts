import { Inject } from '@nestjs/common';
import { type IQueryHandler, QueryHandler } from '@nestjs/cqrs';
import { EVENT_STORE, type EventStore } from '../../event-store/event-store.port.js';
import { streamNameOf } from '../conversation-stream.js';
import { type EventLogPage, ReadConversationEvents } from './read-conversation-events.query.js';

@QueryHandler(ReadConversationEvents)
export class ReadConversationEventsHandler implements IQueryHandler<ReadConversationEvents> {
  constructor(@Inject(EVENT_STORE) private readonly store: EventStore) {}

  async execute({ projectId, fromRevision, limit }: ReadConversationEvents): Promise<EventLogPage> {
    const events = await this.store.readStream(streamNameOf(projectId), {
      fromRevision: BigInt(fromRevision),
      maxCount: limit + 1,
    });
    const page = events.slice(0, limit);
    return {
      data: page.map((event) => ({
        revision: Number(event.revision),
        type: event.type,
        data: event.data,
        metadata: event.metadata,
        createdAt: event.createdAt.toISOString(),
        position: event.position,
      })),
      nextRevision: events.length > limit ? Number(events[limit]?.revision) : null,
    };
  }
}
