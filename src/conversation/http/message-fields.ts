import { applyDecorators } from '@nestjs/common';
import { ApiPropertyOptional } from '@nestjs/swagger';
import { IsOptional, IsString, IsUUID, MaxLength } from 'class-validator';
import { HasNoLoneSurrogate, HasNoNulCharacter } from '../../http/validation.js';

/** The body fields several commands share: validation and documentation together. */

/** Applied bottom-up, as written decorators are, so constraints are reported in the order they always were. */
function stacked(...decorators: PropertyDecorator[]): PropertyDecorator {
  return applyDecorators(...decorators.reverse());
}

/** A message id the client may choose, which is what makes its retries safe. */
export function OptionalMessageId(): PropertyDecorator {
  return stacked(
    ApiPropertyOptional({
      format: 'uuid',
      description: 'Chosen by the client to make retries safe; else generated',
    }),
    IsOptional(),
    IsUUID(),
  );
}

/** Text PostgreSQL can store, of at most 100,000 characters. */
export function MessageText(): PropertyDecorator {
  return stacked(IsString(), MaxLength(100_000), HasNoNulCharacter(), HasNoLoneSurrogate());
}

/** An assistant message's placeholder content: empty when omitted. */
export function OptionalPlaceholder(description: string): PropertyDecorator {
  return stacked(
    ApiPropertyOptional({ maxLength: 100_000, default: '', description }),
    IsOptional(),
    MessageText(),
  );
}
