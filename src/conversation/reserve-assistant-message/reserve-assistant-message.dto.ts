import { IsOptional, IsString, IsUUID, MaxLength } from 'class-validator';
import { ApiPropertyOptional } from '@nestjs/swagger';
import { HasNoLoneSurrogate, HasNoNulCharacter } from '../../http/validation.js';

export class ReserveAssistantMessageBody {
  @ApiPropertyOptional({
    format: 'uuid',
    description: 'Chosen by the client to make retries safe; else generated',
  })
  @IsOptional()
  @IsUUID()
  id?: string;

  @ApiPropertyOptional({
    maxLength: 100_000,
    default: '',
    description: 'The placeholder shown while the reply is generated',
  })
  @IsOptional()
  @IsString()
  @MaxLength(100_000)
  @HasNoNulCharacter()
  @HasNoLoneSurrogate()
  content?: string;

  @ApiPropertyOptional({ format: 'uuid', description: 'A user message of this project, else 422' })
  @IsOptional()
  @IsUUID()
  replyTo?: string;
}
