import { IsOptional, IsUUID } from 'class-validator';
import { ApiPropertyOptional } from '@nestjs/swagger';
import { OptionalMessageId, OptionalMetadata, OptionalPlaceholder } from '../http/message-fields.js';

export class ReserveAssistantMessageBody {
  @OptionalMessageId() id?: string;

  @OptionalPlaceholder('The placeholder shown while the reply is generated') content?: string;

  @ApiPropertyOptional({ format: 'uuid', description: 'A user message of this project, else 422' })
  @IsOptional()
  @IsUUID()
  replyTo?: string;

  @OptionalMetadata() metadata?: Record<string, unknown>;
}
