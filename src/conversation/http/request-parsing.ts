import { Problem } from '../../http/problem.js';

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
