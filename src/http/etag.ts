import type { FastifyReply } from 'fastify';
import { type Precondition } from '../conversation/conversation.processor.js';
import { CONVERSATION_CACHE_CONTROL } from './cache-control.js';
import { Problem } from './problem.js';

/**
 * Entity tags are stream revisions, here and nowhere else: a command answers with the revision it
 * left as its `ETag`, takes one back in `If-Match`, and a read compares `If-None-Match` with its own.
 */

/** A strong entity tag for a revision: `"7"`. */
export function toETag(revision: number): string {
  return `"${revision}"`;
}

/**
 * A command's precondition: `If-Match: "<revision>"` pins the revision it expects, `If-None-Match: *`
 * a conversation with no events yet (not both); anything else is a 400.
 */
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
 * Answers a GET (or HEAD) of conversation data at `revision`: 304 with its tag and no body when
 * `If-None-Match` matches it, else 200 with the tag and `body`; both say to revalidate. The tag
 * names the revision, whatever content coding the body is then sent in: the same revision is the
 * same data, so a tag from a compressed answer revalidates an uncompressed one and the reverse.
 */
export function sendConditional(
  reply: FastifyReply,
  ifNoneMatch: string | undefined,
  revision: number,
  body: unknown,
): void {
  const etag = toETag(revision);
  void reply.header('ETag', etag).header('Cache-Control', CONVERSATION_CACHE_CONTROL);
  if (ifNoneMatchMatches(ifNoneMatch, etag)) void reply.status(304).send();
  else void reply.status(200).send(body);
}

/** As sendConditional, with a body that is JSON text already (sent as it is). */
export function sendConditionalJson(
  reply: FastifyReply,
  ifNoneMatch: string | undefined,
  revision: number,
  json: string,
): void {
  void reply.type('application/json; charset=utf-8');
  sendConditional(reply, ifNoneMatch, revision, json);
}
