import { ApiProperty, ApiSchema } from '@nestjs/swagger';
import { type ProjectionStatus, type RebuildRequested } from '../../../projections/index.js';

type Rebuild = NonNullable<ProjectionStatus['rebuild']>;

@ApiSchema({ name: 'Rebuild' })
export class RebuildSchema implements Rebuild {
  @ApiProperty({ type: 'integer' }) generation!: number;
  @ApiProperty({ type: 'integer' }) version!: number;
  @ApiProperty({ type: 'string', nullable: true }) position!: string | null;
  @ApiProperty({ type: 'integer' }) eventsApplied!: number;
  @ApiProperty({ type: 'integer' }) lag!: number;
  @ApiProperty({
    type: 'string',
    format: 'date-time',
    nullable: true,
    description: 'Extension: since when the caught-up build waits for readers to let it switch over',
  })
  switchWaitingSince!: string | null;
}

@ApiSchema({ name: 'ProjectionStatus' })
export class ProjectionStatusSchema implements ProjectionStatus {
  @ApiProperty({ example: 'messages' }) name!: string;
  @ApiProperty({ type: 'integer', description: 'The projection code’s version' }) version!: number;
  @ApiProperty({ type: 'integer', nullable: true, description: 'The build queries are served from' })
  generation!: number | null;
  @ApiProperty({ enum: ['running', 'rebuilding', 'stopped', 'failed'] })
  status!: ProjectionStatus['status'];
  @ApiProperty({ type: 'string', nullable: true, description: 'Event store position: opaque' })
  position!: string | null;
  @ApiProperty({ type: 'integer', description: 'Events behind the log' }) lag!: number;
  @ApiProperty({
    type: 'integer',
    description:
      'Extension: events the generation queries are served from has applied since it was built; its change over time is the projection’s throughput',
  })
  eventsApplied!: number;
  @ApiProperty({ type: 'string', nullable: true }) lastError!: string | null;
  @ApiProperty({ type: 'string', format: 'date-time', nullable: true }) updatedAt!: string | null;
  @ApiProperty({ type: RebuildSchema, nullable: true, description: 'The build under way, or null' })
  rebuild!: Rebuild | null;
}

@ApiSchema({ name: 'RebuildRequested' })
export class RebuildRequestedSchema implements RebuildRequested {
  @ApiProperty() name!: string;
  @ApiProperty({ type: 'integer' }) version!: number;
  @ApiProperty({ type: 'integer', description: 'The generation being built' }) generation!: number;
}
