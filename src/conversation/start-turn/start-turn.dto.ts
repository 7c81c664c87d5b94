import { Type } from 'class-transformer';
import { IsObject, IsOptional, ValidateNested } from 'class-validator';
import { ApiProperty, ApiPropertyOptional, ApiSchema } from '@nestjs/swagger';
import { MessageSchema } from '../message.schema.js';
import { type Message } from '../message.js';
import { OptionalMessageId, OptionalMetadata, OptionalPlaceholder } from '../http/message-fields.js';
import { PostUserMessageBody } from '../post-user-message/post-user-message.dto.js';

export class TurnAssistantPart {
  @OptionalMessageId() id?: string;

  @OptionalPlaceholder('The placeholder shown while the reply is generated') content?: string;

  @OptionalMetadata() metadata?: Record<string, unknown>;
}

export class StartTurnBody {
  @ApiProperty({ type: PostUserMessageBody })
  @IsObject()
  @ValidateNested()
  @Type(() => PostUserMessageBody)
  user!: PostUserMessageBody;

  @ApiPropertyOptional({ type: TurnAssistantPart, description: 'The placeholder; omitted, it is empty' })
  @IsOptional()
  @IsObject()
  @ValidateNested()
  @Type(() => TurnAssistantPart)
  assistant?: TurnAssistantPart;
}

/** The answer: both messages and the revision the append left. */
@ApiSchema({ name: 'Turn' })
export class TurnSchema {
  @ApiProperty({ type: MessageSchema }) user!: Message;
  @ApiProperty({
    type: MessageSchema,
    description: 'Its `sequence` is the user message’s + 1; it replies to it',
  })
  assistant!: Message;
  @ApiProperty({ type: 'integer' }) revision!: number;
}
