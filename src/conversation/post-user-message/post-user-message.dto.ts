import {
  ArrayMaxSize,
  IsArray,
  IsOptional,
  IsString,
  IsUrl,
  IsUUID,
  Length,
  MaxLength,
} from 'class-validator';
import { HasNoLoneSurrogate, HasNoNulCharacter } from '../../http/validation.js';

const URL_OPTIONS = { protocols: ['http', 'https'], require_protocol: true, require_tld: false };

export class PostUserMessageBody {
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
