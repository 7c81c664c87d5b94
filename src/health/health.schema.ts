import { ApiProperty, ApiPropertyOptional, ApiSchema } from '@nestjs/swagger';

@ApiSchema({ name: 'Liveness' })
export class LiveSchema {
  @ApiProperty({ enum: ['ok'] }) status!: 'ok';
}

/** One check as the health check reports it. */
@ApiSchema({ name: 'Check' })
export class CheckSchema {
  @ApiProperty({ enum: ['up', 'down'] }) status!: 'up' | 'down';
  @ApiProperty({ type: 'integer', description: 'Milliseconds the check took' }) responseTime!: number;
  @ApiPropertyOptional({ description: 'Why it is down' }) message?: string;
  @ApiPropertyOptional({
    type: 'object',
    additionalProperties: { type: 'integer' },
    description: 'Projections: events each is behind the log (counted up to `READY_MAX_PROJECTION_LAG` + 1)',
    example: { messages: 0 },
  })
  lag?: Record<string, number>;
}

@ApiSchema({ name: 'Checks' })
export class ChecksSchema {
  @ApiPropertyOptional({ type: CheckSchema }) database?: CheckSchema;
  @ApiPropertyOptional({ type: CheckSchema }) eventStore?: CheckSchema;
  @ApiPropertyOptional({ type: CheckSchema, description: 'Every projection running and within the lag' })
  projections?: CheckSchema;
}

/** The health check's result when ready (a failure is a problem, `/problems/not-ready`). */
@ApiSchema({ name: 'Readiness' })
export class ReadinessSchema {
  @ApiProperty({ enum: ['ok'] }) status!: 'ok';
  @ApiProperty({ type: ChecksSchema, description: 'The checks that are up' }) info!: ChecksSchema;
  @ApiProperty({ type: ChecksSchema, description: 'The checks that are down: none when ready' })
  error!: ChecksSchema;
  @ApiProperty({ type: ChecksSchema, description: 'Every check' }) details!: ChecksSchema;
}
