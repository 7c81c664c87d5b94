import { type JsonResponse, request } from './http.js';
import { openSse } from './sse.js';

/** A request with or without an Authorization header, as the auth tests send it. */

export interface Answer {
  status: number;
  headers: Headers;
  /** The body as JSON text; empty for a live stream that opened. */
  text: string;
}

export type RouteCall = (project: string, authorization?: string) => Promise<Answer>;

export const bearer = (token: string): string => `Bearer ${token}`;

function headers(authorization: string | undefined): Record<string, string> {
  return authorization === undefined ? {} : { authorization };
}

export async function call(
  baseUrl: string,
  method: string,
  path: string,
  authorization?: string,
  body?: unknown,
): Promise<Answer> {
  const answer: JsonResponse = await request(baseUrl, method, path, body, headers(authorization));
  return { status: answer.status, headers: answer.headers, text: JSON.stringify(answer.body) };
}

/** The four kinds of project route: a read, a write, the event log and the live stream; 2xx when allowed. */
export function projectRoutes(baseUrl: string): Record<'read' | 'write' | 'events' | 'live', RouteCall> {
  return {
    read: (project, authorization) => call(baseUrl, 'GET', `/v1/projects/${project}/messages`, authorization),
    write: (project, authorization) =>
      call(baseUrl, 'POST', `/v1/projects/${project}/messages`, authorization, { content: 'hello' }),
    events: (project, authorization) => call(baseUrl, 'GET', `/v1/projects/${project}/events`, authorization),
    live: async (project, authorization) => {
      const stream = await openSse(`${baseUrl}/v1/projects/${project}/live`, headers(authorization));
      const { status, headers: answered } = stream.response;
      const text = status === 200 ? '' : await stream.response.text();
      stream.close();
      return { status, headers: answered, text };
    },
  };
}
