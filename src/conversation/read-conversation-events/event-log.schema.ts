import { ApiProperty, ApiSchema } from '@nestjs/swagger';
import { type EventLogEntry, type EventLogPage } from './read-conversation-events.query.js';

@ApiSchema({ name: 'Event' })
export class EventLogEntrySchema implements EventLogEntry {
  @ApiProperty({ type: 'integer' }) revision!: number;
  @ApiProperty({ example: 'UserMessaged' }) type!: string;
  @ApiProperty({ type: 'object', additionalProperties: true, description: 'As stored, never changed' })
  data!: unknown;
  @ApiProperty({
    type: 'object',
    additionalProperties: true,
    description: '`correlationId`, `causationId`, `userId`, `schemaVersion`',
  })
  metadata!: unknown;
  @ApiProperty({ format: 'date-time' }) createdAt!: string;
  @ApiProperty({ description: 'The event store position: opaque' }) position!: string;
}

@ApiSchema({ name: 'EventPage' })
export class EventLogPageSchema implements EventLogPage {
  @ApiProperty({ type: [EventLogEntrySchema] }) data!: EventLogEntry[];
  @ApiProperty({
    type: 'integer',
    nullable: true,
    description: 'Where the next page starts; null at the end',
  })
  nextRevision!: number | null;
}
