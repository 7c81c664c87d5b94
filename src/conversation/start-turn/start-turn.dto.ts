import { Type } from 'class-transformer';
import { IsObject, IsOptional, IsString, IsUUID, MaxLength, ValidateNested } from 'class-validator';
import { HasNoLoneSurrogate, HasNoNulCharacter } from '../../http/validation.js';
import { PostUserMessageBody } from '../post-user-message/post-user-message.dto.js';

export class TurnAssistantPart {
  @IsOptional() @IsUUID() id?: string;

  @IsOptional() @IsString() @MaxLength(100_000) @HasNoNulCharacter() @HasNoLoneSurrogate() content?: string;
}

export class StartTurnBody {
  @IsObject() @ValidateNested() @Type(() => PostUserMessageBody) user!: PostUserMessageBody;

  @IsOptional() @IsObject() @ValidateNested() @Type(() => TurnAssistantPart) assistant?: TurnAssistantPart;
}
