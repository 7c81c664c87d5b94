import { IsIn, IsOptional, IsString, MaxLength } from 'class-validator';
import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { HasNoLoneSurrogate, HasNoNulCharacter } from '../../http/validation.js';

export class CompleteAssistantMessageBody {
  @ApiProperty({
    maxLength: 100_000,
    description: 'The final content; must not contain U+0000 or a lone surrogate',
  })
  @IsString()
  @MaxLength(100_000)
  @HasNoNulCharacter()
  @HasNoLoneSurrogate()
  content!: string;

  @ApiPropertyOptional({ enum: ['success', 'error'], default: 'success' })
  @IsOptional()
  @IsIn(['success', 'error'])
  status?: 'success' | 'error';
}
