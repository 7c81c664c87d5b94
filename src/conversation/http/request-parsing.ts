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
