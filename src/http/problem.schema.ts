import { ApiProperty, ApiPropertyOptional, ApiSchema } from '@nestjs/swagger';
import { type FieldError, type ProblemBody } from './problem.js';

@ApiSchema({ name: 'FieldError' })
export class FieldErrorSchema implements FieldError {
  @ApiProperty({ example: 'content' }) field!: string;
  @ApiProperty() message!: string;
}

/** RFC 9457 problem details, the body of every error; `implements` keeps it in step with `ProblemBody`. */
@ApiSchema({ name: 'Problem' })
export class ProblemSchema implements ProblemBody {
  @ApiProperty({ example: '/problems/validation' }) type!: string;
  @ApiProperty({ example: 'Bad Request' }) title!: string;
  @ApiProperty({ type: 'integer', example: 400 }) status!: number;
  @ApiProperty() detail!: string;
  @ApiPropertyOptional({ description: 'The request path' }) instance?: string;
  @ApiPropertyOptional({ type: [FieldErrorSchema], description: 'Every field at fault' })
  errors?: FieldError[];
  @ApiPropertyOptional({ type: 'integer', description: '412: the revision the stream is at' })
  currentRevision?: number;
  @ApiPropertyOptional({
    type: 'integer',
    description: '409 on a stream: the length of the content so far, the offset of the next delta',
  })
  currentLength?: number;
  @ApiPropertyOptional({
    type: 'object',
    additionalProperties: { type: 'string', enum: ['ok', 'failed'] },
    description: 'Readiness (extension): the outcome of each check',
    example: { database: 'ok', eventStore: 'ok', projections: 'failed' },
  })
  checks?: Record<string, 'ok' | 'failed'>;
  @ApiPropertyOptional({
    type: 'object',
    additionalProperties: { type: 'object' },
    description:
      'Readiness (extension): each check as the health check reports it (`status` up or down, `message`)',
  })
  details?: Record<string, Record<string, unknown>>;
}
