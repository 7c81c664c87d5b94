import { type Principal } from '../src/auth/principal.js';
import { VerifiedTokens } from '../src/auth/verified-tokens.js';

const principal = (subject: string): Principal => ({ subject, projects: '*', scopes: new Set() });

describe('verified tokens', () => {
  it('remembers a token until it expires', () => {
    const tokens = new VerifiedTokens(10, 60_000);
    tokens.add('t', principal('a'), 1_500, 1_000);
    expect(tokens.get('t', 1_499)?.subject).toBe('a');
    expect(tokens.get('t', 1_500)).toBeUndefined();
    expect(tokens.get('t', 1_000)).toBeUndefined();
  });

  it('forgets a token after its maximum age, however long it is valid', () => {
    const tokens = new VerifiedTokens(10, 60_000);
    tokens.add('t', principal('a'), Infinity, 0);
    expect(tokens.get('t', 59_999)?.subject).toBe('a');
    expect(tokens.get('t', 60_000)).toBeUndefined();
  });

  it('drops the oldest when full', () => {
    const tokens = new VerifiedTokens(2, 60_000);
    for (const token of ['a', 'b', 'c']) tokens.add(token, principal(token), Infinity, 0);
    expect(tokens.get('a', 1)).toBeUndefined();
    expect(tokens.get('b', 1)?.subject).toBe('b');
    expect(tokens.get('c', 1)?.subject).toBe('c');
  });
});
