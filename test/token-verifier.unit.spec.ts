import { KeysUnavailable, Unauthenticated } from '../src/auth/auth.errors.js';
import { createTokenVerifier } from '../src/auth/token-verifier.js';
import { secretToken, signingKey, keyToken, TEST_SECRET, unsignedToken } from './support/tokens.js';

const verifier = createTokenVerifier({ jwtSecret: TEST_SECRET, issuer: 'iss-1', audience: 'aud-1' });
const valid = { sub: 'user-1', iss: 'iss-1', aud: 'aud-1' };

async function refusal(token: string | Promise<string>): Promise<string> {
  const error = await verifier.verify(await token).then(
    () => undefined,
    (error: unknown) => error,
  );
  expect(error).toBeInstanceOf(Unauthenticated);
  return (error as Unauthenticated).description ?? '';
}

describe('token verifier', () => {
  it('reads the principal: subject, projects and scopes', async () => {
    const principal = await verifier.verify(
      await secretToken({ ...valid, projects: ['a', 'b'], scope: 'openid  conversations:admin' }),
    );
    expect(principal.subject).toBe('user-1');
    expect(principal.projects).toEqual(new Set(['a', 'b']));
    expect(principal.scopes).toEqual(new Set(['openid', 'conversations:admin']));
  });

  it('reads ["*"] as every project, and no projects claim as none', async () => {
    expect((await verifier.verify(await secretToken({ ...valid, projects: ['*'] }))).projects).toBe('*');
    expect((await verifier.verify(await secretToken(valid))).projects).toEqual(new Set());
  });

  it.each([
    ['expired beyond the leeway', secretToken(valid, { expiresIn: -40 }), 'The token has expired'],
    ['not valid for another minute', secretToken(valid, { notBefore: 60 }), 'The token is not valid yet'],
    ['another issuer', secretToken({ ...valid, iss: 'iss-2' }), "The token's iss claim is not accepted"],
    ['another audience', secretToken({ ...valid, aud: 'aud-2' }), "The token's aud claim is not accepted"],
    ['no sub', secretToken({ iss: 'iss-1', aud: 'aud-1' }), 'The token has no sub claim'],
    ['an empty sub', secretToken({ ...valid, sub: '' }), "The token's sub claim is not accepted"],
    [
      'projects not a list',
      secretToken({ ...valid, projects: 'a' }),
      "The token's projects claim must be a list of project ids",
    ],
    [
      'a scope that is not a string',
      secretToken({ ...valid, scope: ['conversations:admin'] }),
      "The token's scope claim must be a space-separated string",
    ],
    ['alg none', Promise.resolve(unsignedToken(valid)), 'The token is signed with an algorithm not accepted'],
    ['another secret', secretToken(valid, {}, 'x'.repeat(40)), 'The token signature is not valid'],
    ['not a JWT', Promise.resolve('abc.def.ghi'), 'The token is malformed'],
  ])('refuses a token with %s', async (_name, token, description) => {
    expect(await refusal(token)).toBe(description);
  });

  it('accepts a token expired within the 30 s leeway', async () => {
    await expect(verifier.verify(await secretToken(valid, { expiresIn: -20 }))).resolves.toBeDefined();
  });

  it('refuses asymmetric tokens when only a secret is configured', async () => {
    const key = await signingKey('k', 'ES256');
    expect(await refusal(keyToken(key, valid))).toBe('The token is signed with an algorithm not accepted');
  });

  it('takes HS256 only from the secret when a key set is configured too', async () => {
    const both = createTokenVerifier({ jwtSecret: TEST_SECRET, jwksUrl: 'http://127.0.0.1:9/jwks.json' });
    await expect(both.verify(await secretToken({ sub: 'u' }))).resolves.toMatchObject({ subject: 'u' });
    // An asymmetric token goes to the key set, which cannot be reached here: not the token's fault.
    const key = await signingKey('k', 'RS256');
    await expect(both.verify(await keyToken(key, { sub: 'u' }))).rejects.toBeInstanceOf(KeysUnavailable);
  });
});

describe('token verifier: tokens verified before', () => {
  it('refuses a remembered token once it expires', async () => {
    let now = Date.now();
    const remembering = createTokenVerifier({ jwtSecret: TEST_SECRET }, () => now);
    const token = await secretToken(valid, { expiresIn: 5 });
    await expect(remembering.verify(token)).resolves.toMatchObject({ subject: 'user-1' });
    now += 20_000;
    await expect(remembering.verify(token)).resolves.toMatchObject({ subject: 'user-1' });
    now += 20_000;
    await expect(remembering.verify(token)).rejects.toThrow('The token has expired');
  });
});
