import { IsIn, IsOptional, IsString, MaxLength } from 'class-validator';
import { HasNoLoneSurrogate, HasNoNulCharacter } from '../../http/validation.js';

export class CompleteAssistantMessageBody {
  @IsString() @MaxLength(100_000) @HasNoNulCharacter() @HasNoLoneSurrogate() content!: string;

  @IsOptional() @IsIn(['success', 'error']) status?: 'success' | 'error';
}
