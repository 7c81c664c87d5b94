import { applyDecorators } from '@nestjs/common';
import { ApiPropertyOptional } from '@nestjs/swagger';
import { IsObject, IsOptional, IsString, IsUUID, MaxLength, registerDecorator } from 'class-validator';
import { HasNoLoneSurrogate, HasNoNulCharacter } from '../../http/validation.js';
import { MAX_CONTENT_LENGTH } from '../message.js';

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
  return stacked(IsString(), MaxLength(MAX_CONTENT_LENGTH), HasNoNulCharacter(), HasNoLoneSurrogate());
}

/** An assistant message's placeholder content: empty when omitted. */
export function OptionalPlaceholder(description: string): PropertyDecorator {
  return stacked(
    ApiPropertyOptional({ maxLength: 100_000, default: '', description }),
    IsOptional(),
    MessageText(),
  );
}

/** The most a message's metadata may take, as UTF-8 JSON. */
export const MAX_METADATA_BYTES = 16 * 1024;

/** Metadata a client attaches to a message: a JSON object of at most 16 KiB that PostgreSQL can store. */
export function OptionalMetadata(): PropertyDecorator {
  return stacked(
    ApiPropertyOptional({
      type: 'object',
      additionalProperties: true,
      description:
        'A JSON object of at most 16 KiB (for example the model, token counts, tool calls); no U+0000 or lone surrogate',
      example: { model: 'gpt-5', tokens: { input: 812, output: 154 } },
    }),
    IsOptional(),
    IsObject(),
    FitsMetadataLimits(),
  );
}

function FitsMetadataLimits(): PropertyDecorator {
  return (target, propertyName) =>
    registerDecorator({
      name: 'fitsMetadataLimits',
      target: target.constructor,
      propertyName: String(propertyName),
      options: {
        message: `$property must be at most ${MAX_METADATA_BYTES} bytes of JSON, without U+0000 or a lone surrogate`,
      },
      validator: {
        validate: (value: unknown) =>
          Buffer.byteLength(JSON.stringify(value) ?? '') <= MAX_METADATA_BYTES && storable(value),
      },
    });
}

/** PostgreSQL's jsonb holds no U+0000 and no lone surrogate, in keys or in values. */
function storable(value: unknown): boolean {
  if (typeof value === 'string') return !value.includes('\u0000') && value.isWellFormed();
  if (Array.isArray(value)) return value.every(storable);
  if (typeof value === 'object' && value !== null)
    return Object.entries(value).every(([key, item]) => storable(key) && storable(item));
  return true;
}
