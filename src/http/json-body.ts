import type { FastifyInstance } from 'fastify';
import { Problem } from './problem.js';

/**
 * Deepest nesting of arrays and objects a body may have. The commands nest three levels at most
 * (a turn's user part and its imageUrls); the rest is room for client metadata.
 */
export const MAX_JSON_DEPTH = 16;

const utf8 = new TextDecoder('utf-8', { fatal: true });

/**
 * Replaces Fastify's JSON parser with one that refuses, before anything is built from the body:
 * a Content-Encoding the service does not decode (415), bytes that are not UTF-8 (400, never a
 * silent U+FFFD), and nesting deeper than MAX_JSON_DEPTH (400, found in one linear pass, so a
 * hostile body costs no more than its length). An empty body is no body.
 */
export function useJsonBodyParser(fastify: FastifyInstance): void {
  const parse = fastify.getDefaultJsonParser('error', 'error');
  fastify.removeContentTypeParser('application/json');
  fastify.addContentTypeParser('application/json', { parseAs: 'buffer' }, (request, raw, done) => {
    const encoding = request.headers['content-encoding']?.trim().toLowerCase();
    if (encoding && encoding !== 'identity') {
      done(
        new Problem(
          415,
          'unsupported-content-encoding',
          'Request bodies must not be compressed or otherwise encoded (Content-Encoding: identity only)',
        ),
      );
      return;
    }
    const bytes = raw as Buffer;
    if (bytes.length === 0) {
      done(null, undefined);
      return;
    }
    let text: string;
    try {
      text = utf8.decode(bytes);
    } catch {
      done(new Problem(400, 'invalid-utf8', 'The body is not valid UTF-8'));
      return;
    }
    if (nestingDepthExceeds(text, MAX_JSON_DEPTH)) {
      done(
        new Problem(
          400,
          'too-deeply-nested',
          `The body nests arrays and objects deeper than ${MAX_JSON_DEPTH} levels`,
        ),
      );
      return;
    }
    // Fastify's default parser answers through `done`; its type allows a promise, it returns none.
    void parse(request, text, done);
  });
}

const QUOTE = 0x22;
const BACKSLASH = 0x5c;
const OPEN_BRACE = 0x7b;
const CLOSE_BRACE = 0x7d;
const OPEN_BRACKET = 0x5b;
const CLOSE_BRACKET = 0x5d;

/**
 * Whether JSON text nests deeper than `limit`, counting only structure (brackets inside strings
 * are content). Stops at the first level past the limit. Malformed text is left to the parser.
 */
export function nestingDepthExceeds(text: string, limit: number): boolean {
  let depth = 0;
  let inString = false;
  for (let i = 0; i < text.length; i++) {
    const code = text.charCodeAt(i);
    if (inString) {
      if (code === BACKSLASH) i++;
      else if (code === QUOTE) inString = false;
    } else if (code === QUOTE) {
      inString = true;
    } else if (code === OPEN_BRACE || code === OPEN_BRACKET) {
      if (++depth > limit) return true;
    } else if (code === CLOSE_BRACE || code === CLOSE_BRACKET) {
      depth--;
    }
  }
  return false;
}
