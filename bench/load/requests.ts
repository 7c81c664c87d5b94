import { randomUUID } from 'node:crypto';
import type autocannon from 'autocannon';
import { type Ack, hotContent, type LoadJob } from './client.js';

const JSON_HEADERS = { 'content-type': 'application/json' };

/**
 * The request one connection sends over and over. Connections are numbered as autocannon
 * creates them, so each has its own project (many, turns), stream (raw-insert) or client
 * number and message counter (hot).
 */
export function requestsFor(job: LoadJob, client: number, acks: Ack[]): autocannon.Request[] {
  const authorization = job.authorization?.[client % job.authorization.length];
  const requests = unauthenticatedRequestsFor(job, client, acks);
  if (authorization === undefined) return requests;
  return requests.map((request) => ({ ...request, headers: { ...request.headers, authorization } }));
}

function unauthenticatedRequestsFor(job: LoadJob, client: number, acks: Ack[]): autocannon.Request[] {
  const encode = encodeURIComponent;
  switch (job.kind) {
    case 'raw-insert':
      return [post(`/insert/${client}`, () => ({ content: 'bench message' }))];
    case 'messages-many':
      return [
        post(`/v1/projects/${encode(`${job.project}-${client}`)}/messages`, () => ({
          content: 'bench message',
        })),
      ];
    case 'messages-retry': {
      const message = { id: randomUUID(), content: 'bench message' };
      return [post(`/v1/projects/${encode(`${job.project}-${client}`)}/messages`, () => message)];
    }
    case 'turns':
      return [
        post(`/v1/projects/${encode(`${job.project}-${client}`)}/turns`, () => ({ user: { content: 'hi' } })),
      ];
    case 'messages-hot':
      return [hotRequest(job, client, acks)];
    case 'history':
      return [{ method: 'GET', path: `/v1/projects/${encode(job.project)}/messages?limit=50` }];
    case 'paths': {
      const paths = job.paths ?? [];
      return paths.map((_, i) => ({ method: 'GET', path: paths[(i + client) % paths.length] as string }));
    }
    case 'messages-distinct': {
      let counter = 0;
      return [
        {
          method: 'POST',
          headers: JSON_HEADERS,
          setupRequest: (request) => ({
            ...request,
            path: `/v1/projects/${encode(`${job.project}-${client}-${counter++}`)}/messages`,
            body: JSON.stringify({ content: 'bench message' }),
          }),
        },
      ];
    }
  }
}

function post(path: string, body: () => unknown): autocannon.Request {
  return {
    method: 'POST',
    path,
    headers: JSON_HEADERS,
    setupRequest: (request) => ({ ...request, body: JSON.stringify(body()) }),
  };
}

/**
 * With pipelining 1 a connection sends its next message only after the previous answer, so its
 * counter order is the order it sent them in.
 */
function hotRequest(job: LoadJob, client: number, acks: Ack[]): autocannon.Request {
  let counter = 0;
  return {
    method: 'POST',
    path: `/v1/projects/${encodeURIComponent(job.project)}/messages`,
    headers: JSON_HEADERS,
    setupRequest: (request) => ({
      ...request,
      body: JSON.stringify({ id: randomUUID(), content: hotContent(client, counter++) }),
    }),
    onResponse: (status, body) => {
      if (status !== 201) return;
      const ack = toAck(body, client);
      if (ack) acks.push(ack);
    },
  };
}

function toAck(body: string, client: number): Ack | undefined {
  try {
    const message = JSON.parse(body) as { id?: unknown; sequence?: unknown; content?: unknown };
    const match = typeof message.content === 'string' ? /message (\d+)$/.exec(message.content) : null;
    if (typeof message.id !== 'string' || typeof message.sequence !== 'number' || !match) return undefined;
    return { id: message.id, client, counter: Number(match[1]), sequence: message.sequence };
  } catch {
    return undefined;
  }
}
