import { ApiProperty, ApiSchema } from '@nestjs/swagger';
import { type ProjectSummary } from './list-projects.query.js';

@ApiSchema({ name: 'ProjectSummary' })
export class ProjectSummarySchema implements ProjectSummary {
  @ApiProperty({ example: 'p-42' }) projectId!: string;
  @ApiProperty({ type: 'integer', description: 'The stream revision the read model reflects' })
  revision!: number;
  @ApiProperty({ type: 'integer' }) messageCount!: number;
  @ApiProperty({ type: 'string', format: 'date-time', nullable: true, description: 'Its first message' })
  createdAt!: string | null;
  @ApiProperty({
    type: 'string',
    format: 'date-time',
    nullable: true,
    description: 'Its last message created or completed',
  })
  lastMessageAt!: string | null;
}

@ApiSchema({ name: 'ProjectPage' })
export class ProjectPageSchema {
  @ApiProperty({ type: [ProjectSummarySchema], description: 'Most recently active first' })
  data!: ProjectSummary[];
  @ApiProperty({
    type: 'string',
    nullable: true,
    description: 'Opaque; the next page, or null on the last. Valid for an hour.',
  })
  nextCursor!: string | null;
}
