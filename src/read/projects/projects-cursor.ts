import { Problem } from '../../http/problem.js';

/** Where a listing stands: the list as it was when its first page was read, and the last place sent. */
export interface ListingCursor {
  asOf: number;
  after: number;
  /** When the first page was read: replaced places are kept for an hour, so a cursor lives as long. */
  issuedAt: number;
}

const LIFETIME_MS = 3_600_000;

export function encodeCursor(cursor: ListingCursor): string {
  return Buffer.from(JSON.stringify([cursor.asOf, cursor.after, cursor.issuedAt])).toString('base64url');
}

export function decodeCursor(value: unknown, now = Date.now()): ListingCursor | undefined {
  if (value === undefined) return undefined;
  const parsed = typeof value === 'string' ? parse(value) : undefined;
  if (!parsed) throw invalid('is not a cursor this service gave');
  if (now - parsed.issuedAt > LIFETIME_MS) throw invalid('has expired (an hour); start again without it');
  return parsed;
}

function parse(value: string): ListingCursor | undefined {
  try {
    const fields: unknown = JSON.parse(Buffer.from(value, 'base64url').toString('utf8'));
    if (!Array.isArray(fields) || fields.length !== 3 || !fields.every(Number.isSafeInteger))
      return undefined;
    const [asOf, after, issuedAt] = fields as number[];
    return { asOf: asOf as number, after: after as number, issuedAt: issuedAt as number };
  } catch {
    return undefined;
  }
}

function invalid(reason: string): Problem {
  return new Problem(400, 'invalid-parameter', `cursor ${reason}`, {
    errors: [{ field: 'cursor', message: reason }],
  });
}
