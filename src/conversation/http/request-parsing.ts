import { Problem } from '../../http/problem.js';
import { type Precondition } from '../conversation.processor.js';

/** If-Match: "<revision>" or If-None-Match: * (not both); anything else is a 400. */
export function preconditionFrom(
  ifMatch: string | undefined,
  ifNoneMatch: string | undefined,
): Precondition | undefined {
  if (ifMatch !== undefined && ifNoneMatch !== undefined) {
    throw new Problem(400, 'invalid-precondition', 'Send either If-Match or If-None-Match, not both');
  }
  if (ifNoneMatch !== undefined) {
    if (ifNoneMatch.trim() !== '*') {
      throw new Problem(400, 'invalid-precondition', 'If-None-Match must be *');
    }
    return { noStream: true };
  }
  if (ifMatch === undefined) return undefined;
  const match = /^\s*"(-1|0|[1-9]\d{0,15})"\s*$/.exec(ifMatch);
  if (!match?.[1]) {
    throw new Problem(400, 'invalid-precondition', 'If-Match must be a revision in double quotes, e.g. "7"');
  }
  return { revision: Number(match[1]) };
}

/** A whole-number query parameter within [min, max]; absent means the fallback. */
export function integerParam(
  name: string,
  value: unknown,
  fallback: number,
  min: number,
  max: number,
): number {
  if (value === undefined) return fallback;
  const text = typeof value === 'string' ? value : '';
  const parsed = /^-?\d{1,16}$/.test(text) ? Number(text) : NaN;
  if (!Number.isSafeInteger(parsed) || parsed < min || parsed > max) {
    throw new Problem(400, 'invalid-parameter', `${name} must be a whole number from ${min} to ${max}`, {
      errors: [{ field: name, message: `must be a whole number from ${min} to ${max}` }],
    });
  }
  return parsed;
}
