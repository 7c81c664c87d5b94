import { Query } from '@nestjs/cqrs';

export interface EventLogEntry {
  revision: number;
  type: string;
  data: unknown;
  metadata: unknown;
  createdAt: string;
  position: string;
}

export interface EventLogPage {
  data: EventLogEntry[];
  nextRevision: number | null;
}

/** The raw log of a conversation, read from the event store (not the read model). */
export class ReadConversationEvents extends Query<EventLogPage> {
  constructor(
    readonly projectId: string,
    readonly fromRevision: number,
    readonly limit: number,
  ) {
    super();
  }
}
