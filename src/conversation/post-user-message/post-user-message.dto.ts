import { ArrayMaxSize, IsArray, IsOptional, IsString, IsUrl, Length, MaxLength } from 'class-validator';
import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { HasNoLoneSurrogate, HasNoNulCharacter } from '../../http/validation.js';
import { OptionalMessageId, OptionalMetadata } from '../http/message-fields.js';

const URL_OPTIONS = { protocols: ['http', 'https'], require_protocol: true, require_tld: false };

export class PostUserMessageBody {
  @OptionalMessageId() id?: string;

  @ApiProperty({
    minLength: 1,
    maxLength: 100_000,
    description: 'Must not contain U+0000 or a lone surrogate',
  })
  @IsString()
  @Length(1, 100_000)
  @HasNoNulCharacter()
  @HasNoLoneSurrogate()
  content!: string;

  @ApiPropertyOptional({
    type: 'array',
    items: { type: 'string', format: 'uri', maxLength: 2048 },
    maxItems: 20,
    description: 'Absolute http or https URLs',
  })
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

  @OptionalMetadata() metadata?: Record<string, unknown>;
}
