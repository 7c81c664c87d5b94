import { type ArgumentMetadata, Injectable, type PipeTransform, ValidationPipe } from '@nestjs/common';
import { registerDecorator, type ValidationError, type ValidationOptions } from 'class-validator';
import { type FieldError, Problem } from './problem.js';

/** Rejects unknown fields and wrong types with one 400 listing every field at fault. */
export function createValidationPipe(): ValidationPipe {
  return new ValidationPipe({
    whitelist: true,
    forbidNonWhitelisted: true,
    transform: true,
    validationError: { target: false, value: false },
    exceptionFactory: (errors) =>
      new Problem(400, 'validation', 'The request body is invalid', { errors: flatten(errors, '') }),
  });
}

/**
 * Constraints that say a value has the wrong type. When one fails, the field's other constraints
 * (a length, a format) say nothing useful about that value and are left out.
 */
const TYPE_CONSTRAINTS = new Set(['isString', 'isArray', 'isObject', 'isIn', 'isUuid']);

function flatten(errors: ValidationError[], prefix: string): FieldError[] {
  return errors.flatMap((error) => {
    const field = prefix ? `${prefix}.${error.property}` : error.property;
    const constraints = Object.entries(error.constraints ?? {});
    const typeErrors = constraints.filter(([name]) => TYPE_CONSTRAINTS.has(name));
    const own = (typeErrors.length > 0 ? typeErrors : constraints).map(([, message]) => ({ field, message }));
    return [...own, ...flatten(error.children ?? [], field)];
  });
}

/**
 * A JSON body that is not an object (an array, a string, null) never reaches a DTO. No body at
 * all is an empty object: a command whose fields are all optional needs none.
 */
@Injectable()
export class JsonObjectBodyPipe implements PipeTransform {
  transform(value: unknown, metadata: ArgumentMetadata): unknown {
    if (metadata.type === 'body' && value === undefined) return {};
    if (metadata.type === 'body' && (typeof value !== 'object' || value === null || Array.isArray(value))) {
      throw new Problem(400, 'validation', 'The request body must be a JSON object');
    }
    return value;
  }
}

export function HasNoNulCharacter(options?: ValidationOptions): PropertyDecorator {
  return (target, propertyName) =>
    registerDecorator({
      name: 'hasNoNulCharacter',
      target: target.constructor,
      propertyName: String(propertyName),
      options: { message: '$property must not contain U+0000', ...options },
      validator: { validate: (value: unknown) => typeof value !== 'string' || !value.includes('\u0000') },
    });
}

/**
 * Text must be well-formed UTF-16: a lone surrogate (U+D800 to U+DFFF without its pair) has no
 * UTF-8 form, so PostgreSQL could not store it.
 */
export function HasNoLoneSurrogate(options?: ValidationOptions): PropertyDecorator {
  return (target, propertyName) =>
    registerDecorator({
      name: 'hasNoLoneSurrogate',
      target: target.constructor,
      propertyName: String(propertyName),
      options: {
        message: (args) =>
          `${options?.each ? 'each value in ' : ''}${args.property} must not contain a lone surrogate (U+D800 to U+DFFF without its pair)`,
        ...options,
      },
      validator: { validate: (value: unknown) => typeof value !== 'string' || value.isWellFormed() },
    });
}

const PROJECT_ID = /^[A-Za-z0-9][A-Za-z0-9_-]{0,99}$/;
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

@Injectable()
export class ProjectIdPipe implements PipeTransform<string, string> {
  transform(value: string): string {
    if (!PROJECT_ID.test(value)) {
      throw new Problem(
        400,
        'invalid-project-id',
        'projectId must be 1 to 100 of A-Z a-z 0-9 _ -, starting with a letter or digit',
        {
          errors: [{ field: 'projectId', message: 'invalid projectId' }],
        },
      );
    }
    return value;
  }
}

@Injectable()
export class MessageIdPipe implements PipeTransform<string, string> {
  transform(value: string): string {
    if (!UUID.test(value)) {
      throw new Problem(400, 'invalid-message-id', 'messageId must be a UUID', {
        errors: [{ field: 'messageId', message: 'messageId must be a UUID' }],
      });
    }
    return value.toLowerCase();
  }
}

/** The body of a request that takes no fields: `{}` or none at all. */
@Injectable()
export class NoFieldsPipe implements PipeTransform<Record<string, unknown>, Record<string, never>> {
  transform(value: Record<string, unknown>): Record<string, never> {
    const fields = Object.keys(value);
    if (fields.length > 0) {
      throw new Problem(400, 'validation', 'This request takes no fields', {
        errors: fields.map((field) => ({ field, message: `property ${field} should not exist` })),
      });
    }
    return {};
  }
}
