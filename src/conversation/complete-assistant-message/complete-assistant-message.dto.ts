import { IsIn, IsOptional } from 'class-validator';
import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { MessageText } from '../http/message-fields.js';

export class CompleteAssistantMessageBody {
  @ApiProperty({
    maxLength: 100_000,
    description: 'The final content; must not contain U+0000 or a lone surrogate',
  })
  @MessageText()
  content!: string;

  @ApiPropertyOptional({ enum: ['success', 'error'], default: 'success' })
  @IsOptional()
  @IsIn(['success', 'error'])
  status?: 'success' | 'error';
}
