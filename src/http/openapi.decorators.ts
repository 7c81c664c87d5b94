import { applyDecorators, type Type } from '@nestjs/common';
import {
  ApiBearerAuth,
  ApiConsumes,
  ApiExtraModels,
  ApiHeader,
  ApiParam,
  ApiQuery,
  ApiResponse,
  ApiTags,
  getSchemaPath,
  type HeaderObject,
} from '@nestjs/swagger';
import { PROBLEM_CONTENT_TYPE } from './problem.js';
import { ProblemSchema } from './problem.schema.js';

/**
 * The OpenAPI decorators every route shares, composed once: a route says which statuses and
 * headers it has, and the wording and schemas come from here.
 */

export const BEARER = 'bearer';

const RESPONSE_HEADERS = {
  ETag: 'The stream revision, `"<revision>"`: after the command, or that the answer reflects',
  Location: 'Where the created resource is read',
  'Retry-After': 'Seconds to wait before trying again',
  'X-Request-Id': 'The request id: the one sent when well-formed, else generated',
} as const;
type ResponseHeader = keyof typeof RESPONSE_HEADERS;

function headersOf(names: readonly ResponseHeader[]): Record<string, HeaderObject> {
  const all: readonly ResponseHeader[] = [...names, 'X-Request-Id'];
  return Object.fromEntries(
    all.map((name) => [name, { description: RESPONSE_HEADERS[name], schema: { type: 'string' } }]),
  );
}

const PROBLEMS = {
  400: 'Malformed JSON, a field of the wrong type or out of range, an unknown field, a bad projectId or id',
  401: 'Authentication is on and the bearer token is missing or invalid (with `WWW-Authenticate: Bearer`)',
  403: 'The token is valid but not allowed for this project or operation',
  404: 'No such message or projection',
  409: 'A domain conflict: the id is taken by another message, or a completion contradicts an earlier one',
  410: 'The project was erased (`/problems/project-erased`)',
  412: 'An `If-Match` / `If-None-Match` precondition failed; `currentRevision` says where the stream is',
  413: 'The body is larger than `BODY_LIMIT_BYTES`',
  415: 'The body is not JSON (or is compressed)',
  422: 'Well-formed, but refers to something that cannot apply (`replyTo` unknown)',
  429: 'The rate limit or the live-stream cap is reached',
  503: 'The database or event store is unreachable, writers keep colliding, a `minRevision` was not reached in time, or the instance is shutting down',
} as const;
export type ProblemStatus = keyof typeof PROBLEMS;

const RETRY_LATER: readonly ProblemStatus[] = [429, 503];

/** Each status as an `application/problem+json` answer. */
export function ApiProblems(...statuses: ProblemStatus[]): MethodDecorator & ClassDecorator {
  return applyDecorators(
    ApiExtraModels(ProblemSchema),
    ...statuses.map((status) =>
      ApiResponse({
        status,
        description: PROBLEMS[status],
        headers: headersOf(RETRY_LATER.includes(status) ? ['Retry-After'] : []),
        content: { [PROBLEM_CONTENT_TYPE]: { schema: { $ref: getSchemaPath(ProblemSchema) } } },
      }),
    ),
  );
}

/** A successful answer with a JSON body of this class, and these headers. */
export function ApiAnswer(
  status: number,
  type: Type | [Type],
  description: string,
  headers: readonly ResponseHeader[] = [],
): MethodDecorator & ClassDecorator {
  return ApiResponse({ status, type, description, headers: headersOf(headers) });
}

/** A `/v1` controller: the bearer token (when auth is on), and what any such route may answer. */
export function ApiV1(tag: string): ClassDecorator {
  return applyDecorators(ApiTags(tag), ApiBearerAuth(BEARER), ApiProblems(401, 403));
}

/** A controller under `/v1/projects/{projectId}`. */
export function ApiProject(tag: string): ClassDecorator {
  return applyDecorators(
    ApiV1(tag),
    ApiParam({
      name: 'projectId',
      description: '1 to 100 of `A-Z a-z 0-9 _ -`, starting with a letter or digit',
      schema: { type: 'string', pattern: '^[A-Za-z0-9][A-Za-z0-9_-]{0,99}$' },
    }),
  );
}

export function ApiMessageId(): MethodDecorator {
  return ApiParam({ name: 'messageId', schema: { type: 'string', format: 'uuid' } });
}

/**
 * A command: a JSON body, the optional preconditions, an `ETag` on success, and what every
 * command may be refused with. `ok` documents the 200 (a retry, or a completion).
 */
export function ApiCommand(options: {
  created?: { type: Type; description: string };
  ok: { type: Type; description: string };
  problems: ProblemStatus[];
}): MethodDecorator {
  const { created, ok, problems } = options;
  return applyDecorators(
    ApiConsumes('application/json'),
    ApiHeader({
      name: 'If-Match',
      required: false,
      description: 'Apply only if the stream is exactly at this revision, `"<revision>"`; else 412',
    }),
    ApiHeader({
      name: 'If-None-Match',
      required: false,
      description: '`*`: apply only if the project has no events yet; else 412',
    }),
    ...(created ? [ApiAnswer(201, created.type, created.description, ['ETag', 'Location'])] : []),
    ApiAnswer(200, ok.type, ok.description, ['ETag']),
    ApiProblems(400, 412, 413, 415, 429, 503, ...problems),
  );
}

/** A read answered from the read model: `minRevision`, `If-None-Match` and `ETag`, `304`. */
export function ApiConditionalRead(type: Type, description: string): MethodDecorator {
  return applyDecorators(
    ApiQuery({
      name: 'minRevision',
      required: false,
      type: 'integer',
      description: 'Read-your-writes: wait (up to 5 s) until the read model reflects this revision; else 503',
    }),
    ApiHeader({
      name: 'If-None-Match',
      required: false,
      description: 'ETags (or `*`) the client holds: 304 when the answer would be the same',
    }),
    ApiAnswer(200, type, description, ['ETag']),
    ApiResponse({
      status: 304,
      description: 'Not modified: the `If-None-Match` ETag is current',
      headers: headersOf(['ETag']),
    }),
    ApiProblems(400, 503),
  );
}

/** The `limit` of a paged list (history, projects): 1 to 200, 50 by default. */
export function ApiPageLimit(): MethodDecorator {
  return ApiQuery({
    name: 'limit',
    required: false,
    schema: { type: 'integer', minimum: 1, maximum: 200, default: 50 },
  });
}
