import type { FastifyRequest } from 'fastify';
import { type Principal, setPrincipal } from '../auth/principal.js';
import { clientKeyOf } from './client-key.js';
import { StreamCap } from './stream-cap.js';
import { Problem } from '../http/problem.js';

function requestFrom(ip: string): FastifyRequest {
  return { raw: {}, ip } as unknown as FastifyRequest;
}

function principal(subject: string): Principal {
  return { subject, projects: '*', scopes: new Set() };
}

describe('clientKeyOf', () => {
  it('counts a request with a verified token against its subject, wherever it comes from', () => {
    const first = requestFrom('10.0.0.1');
    const second = requestFrom('10.0.0.2');
    setPrincipal(first, principal('user-17'));
    setPrincipal(second, principal('user-17'));
    expect(clientKeyOf(first)).toBe(clientKeyOf(second));
  });

  it('tells two subjects behind one address apart', () => {
    const first = requestFrom('10.0.0.1');
    const second = requestFrom('10.0.0.1');
    setPrincipal(first, principal('user-17'));
    setPrincipal(second, principal('user-18'));
    expect(clientKeyOf(first)).not.toBe(clientKeyOf(second));
  });

  it('without authentication, counts by address', () => {
    expect(clientKeyOf(requestFrom('10.0.0.1'))).toBe(clientKeyOf(requestFrom('10.0.0.1')));
    expect(clientKeyOf(requestFrom('10.0.0.1'))).not.toBe(clientKeyOf(requestFrom('10.0.0.2')));
  });

  it('never lets a subject spelt like an address share that address budget', () => {
    const withToken = requestFrom('10.0.0.9');
    setPrincipal(withToken, principal('10.0.0.1'));
    expect(clientKeyOf(withToken)).not.toBe(clientKeyOf(requestFrom('10.0.0.1')));
  });
});

describe('StreamCap', () => {
  it('refuses a client at its cap with a 429 problem and Retry-After, others not', () => {
    const cap = new StreamCap(2);
    cap.acquire('a');
    cap.acquire('a');
    let refused: unknown;
    try {
      cap.acquire('a');
    } catch (error) {
      refused = error;
    }
    expect(refused).toBeInstanceOf(Problem);
    expect(refused).toMatchObject({ status: 429, kind: 'too-many-streams' });
    expect((refused as Problem).extra.retryAfterSeconds).toBeGreaterThan(0);
    expect(() => cap.acquire('b')).not.toThrow();
  });

  it('frees a slot once per stream, however often its release is called', () => {
    const cap = new StreamCap(2);
    const first = cap.acquire('a');
    cap.acquire('a');
    first();
    first();
    cap.acquire('a');
    expect(() => cap.acquire('a')).toThrow(Problem);
  });
});
