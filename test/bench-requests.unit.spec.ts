import type autocannon from 'autocannon';
import type { Ack, LoadJob } from '../bench/load/client.js';
import { requestsFor } from '../bench/load/requests.js';

const job: LoadJob = {
  kind: 'messages-retry',
  baseUrl: 'http://127.0.0.1:1',
  connections: 2,
  durationSec: 1,
  maxPerConnection: 10,
  project: 'r',
};

/** The path and body of the next request a connection sends, as autocannon builds it. */
function next(request: autocannon.Request): { path: string; body: unknown } {
  const built = request.setupRequest?.({ ...request }, {}) ?? request;
  return { path: String(built.path), body: JSON.parse(String(built.body)) };
}

describe('bench requests: messages-retry', () => {
  it('sends one message with one id over and over on each connection, a different one on each', () => {
    const acks: Ack[] = [];
    const [first] = requestsFor(job, 0, acks);
    const [second] = requestsFor(job, 1, acks);
    const a = next(first!);
    expect(a.path).toBe('/v1/projects/r-0/messages');
    expect(a.body).toEqual({ id: expect.stringMatching(/^[0-9a-f-]{36}$/), content: 'bench message' });
    expect(next(first!)).toEqual(a);
    const b = next(second!);
    expect(b.path).toBe('/v1/projects/r-1/messages');
    expect((b.body as { id: string }).id).not.toBe((a.body as { id: string }).id);
  });
});
