import type { FastifyReply } from 'fastify';

/** A strong entity tag for a revision: `"7"`. */
export function revisionTag(revision: number): string {
  return `"${revision}"`;
}

/** One entity tag of a list, with what may separate it from the next (RFC 9110 §8.8.3). */
const ENTITY_TAG = /^[ \t]*(W\/)?"([\x21\x23-\x7e\x80-\xff]*)"[ \t]*(?:,|$)/;

/**
 * Whether `If-None-Match` (on a GET or HEAD) matches the current representation's entity tag:
 * `*`, or a list one of whose tags equals it by the weak comparison (`W/"3"` matches `"3"`). A
 * header that is not well-formed matches nothing: the condition is ignored and the full answer
 * sent, never a 304 the client did not ask for.
 */
export function ifNoneMatchMatches(header: string | undefined, etag: string): boolean {
  if (header === undefined) return false;
  if (header.trim() === '*') return true;
  const current = opaque(etag);
  let rest = header;
  let matched = false;
  while (rest.trim() !== '') {
    // Empty list elements (", ,") are allowed.
    const empty = /^[ \t]*,/.exec(rest);
    if (empty) {
      rest = rest.slice(empty[0].length);
      continue;
    }
    const tag = ENTITY_TAG.exec(rest);
    if (!tag) return false;
    if (tag[2] === current) matched = true;
    rest = rest.slice(tag[0].length);
  }
  return matched;
}

function opaque(etag: string): string {
  return etag.replace(/^W\//, '').slice(1, -1);
}

/**
 * Answers a GET (or HEAD) whose representation has the entity tag `etag`: 304 with the tag and
 * no body when `If-None-Match` matches it, else 200 with the tag and `body`.
 */
export function sendConditional(
  reply: FastifyReply,
  ifNoneMatch: string | undefined,
  etag: string,
  body: unknown,
): void {
  void reply.header('ETag', etag);
  if (ifNoneMatchMatches(ifNoneMatch, etag)) void reply.status(304).send();
  else void reply.status(200).send(body);
}
