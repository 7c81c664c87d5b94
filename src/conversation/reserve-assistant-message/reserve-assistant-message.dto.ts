import { IsOptional, IsString, IsUUID, MaxLength } from 'class-validator';
import { HasNoLoneSurrogate, HasNoNulCharacter } from '../../http/validation.js';

export class ReserveAssistantMessageBody {
  @IsOptional() @IsUUID() id?: string;

  @IsOptional() @IsString() @MaxLength(100_000) @HasNoNulCharacter() @HasNoLoneSurrogate() content?: string;

  @IsOptional() @IsUUID() replyTo?: string;
}
