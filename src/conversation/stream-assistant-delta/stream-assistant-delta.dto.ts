import { IsInt, IsString, Length, Max, Min } from 'class-validator';
import { ApiProperty, ApiSchema } from '@nestjs/swagger';
import { HasNoLoneSurrogate, HasNoNulCharacter } from '../../http/validation.js';
import { MAX_CONTENT_LENGTH } from '../message.js';

export const MAX_DELTA_LENGTH = 16_000;

export class StreamAssistantDeltaBody {
  @ApiProperty({
    type: 'integer',
    minimum: 0,
    maximum: MAX_CONTENT_LENGTH,
    description:
      'The content’s length (UTF-16 code units) before this delta; the same offset and delta again is a retry',
  })
  @IsInt()
  @Min(0)
  @Max(MAX_CONTENT_LENGTH)
  offset!: number;

  @ApiProperty({
    minLength: 1,
    maxLength: MAX_DELTA_LENGTH,
    description: 'The next piece of the reply; must not contain U+0000 or a lone surrogate',
  })
  @IsString()
  @Length(1, MAX_DELTA_LENGTH)
  @HasNoNulCharacter()
  @HasNoLoneSurrogate()
  delta!: string;
}

/** The answer: small, since a reply is streamed in many pieces. */
@ApiSchema({ name: 'StreamedDelta' })
export class StreamedDeltaSchema {
  @ApiProperty({ format: 'uuid' }) id!: string;
  @ApiProperty({ type: 'integer', description: 'The content’s length after the delta' }) length!: number;
  @ApiProperty({
    type: 'integer',
    description: 'The stream revision after the delta (or where a retry found it)',
  })
  revision!: number;
}
