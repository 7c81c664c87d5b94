import { IsIn, IsOptional } from 'class-validator';
import { ApiPropertyOptional } from '@nestjs/swagger';
import { MessageText, OptionalMetadata } from '../http/message-fields.js';

export class CompleteAssistantMessageBody {
  @ApiPropertyOptional({
    maxLength: 100_000,
    description:
      'The final content, replacing what was streamed; omitted, the streamed content stands. Must not contain U+0000 or a lone surrogate',
  })
  @IsOptional()
  @MessageText()
  content?: string;

  @ApiPropertyOptional({ enum: ['success', 'error'], default: 'success' })
  @IsOptional()
  @IsIn(['success', 'error'])
  status?: 'success' | 'error';

  @OptionalMetadata() metadata?: Record<string, unknown>;
}
