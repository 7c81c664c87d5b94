import { Type } from 'class-transformer';
import {
  ArrayMaxSize,
  IsArray,
  IsIn,
  IsObject,
  IsOptional,
  IsString,
  IsUrl,
  IsUUID,
  Length,
  MaxLength,
  ValidateNested,
} from 'class-validator';
import { HasNoLoneSurrogate, HasNoNulCharacter } from '../../http/validation.js';

const URL_OPTIONS = { protocols: ['http', 'https'], require_protocol: true, require_tld: false };

export class PostMessageBody {
  @IsOptional() @IsUUID() id?: string;

  @IsString() @Length(1, 100_000) @HasNoNulCharacter() @HasNoLoneSurrogate() content!: string;

  @IsOptional()
  @IsArray()
  @ArrayMaxSize(20)
  @IsString({ each: true })
  @MaxLength(2048, { each: true })
  @HasNoNulCharacter({ each: true, message: 'each value in imageUrls must not contain U+0000' })
  @HasNoLoneSurrogate({ each: true })
  @IsUrl(URL_OPTIONS, {
    each: true,
    message: 'each value in imageUrls must be an absolute http or https URL',
  })
  imageUrls?: string[];
}

export class ReserveAssistantBody {
  @IsOptional() @IsUUID() id?: string;

  @IsOptional() @IsString() @MaxLength(100_000) @HasNoNulCharacter() @HasNoLoneSurrogate() content?: string;

  @IsOptional() @IsUUID() replyTo?: string;
}

export class CompleteAssistantBody {
  @IsString() @MaxLength(100_000) @HasNoNulCharacter() @HasNoLoneSurrogate() content!: string;

  @IsOptional() @IsIn(['success', 'error']) status?: 'success' | 'error';
}

export class TurnAssistantPart {
  @IsOptional() @IsUUID() id?: string;

  @IsOptional() @IsString() @MaxLength(100_000) @HasNoNulCharacter() @HasNoLoneSurrogate() content?: string;
}

export class StartTurnBody {
  @IsObject() @ValidateNested() @Type(() => PostMessageBody) user!: PostMessageBody;

  @IsOptional() @IsObject() @ValidateNested() @Type(() => TurnAssistantPart) assistant?: TurnAssistantPart;
}
