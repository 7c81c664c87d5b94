import { ConfigError, loadConfig } from './config.js';

const SECRET = 'a secret that is at least 32 bytes long';

describe('loadConfig: authentication', () => {
  it('is off when no key source is set, outside production', () => {
    expect(loadConfig({}).auth).toBeUndefined();
    expect(loadConfig({ NODE_ENV: 'development' }).auth).toBeUndefined();
  });

  it('reads the key sources and the claims to check', () => {
    expect(
      loadConfig({
        AUTH_JWT_SECRET: SECRET,
        AUTH_JWKS_URL: 'https://issuer.test/.well-known/jwks.json',
        AUTH_ISSUER: 'https://issuer.test/',
        AUTH_AUDIENCE: 'conversation-log',
      }).auth,
    ).toEqual({
      jwtSecret: SECRET,
      jwksUrl: 'https://issuer.test/.well-known/jwks.json',
      issuer: 'https://issuer.test/',
      audience: 'conversation-log',
    });
  });

  it('refuses production without authentication unless AUTH_DISABLED=true, naming the variables', () => {
    expect(() => loadConfig({ NODE_ENV: 'production' })).toThrow(ConfigError);
    expect(() => loadConfig({ NODE_ENV: 'production' })).toThrow(
      /AUTH_JWT_SECRET or AUTH_JWKS_URL: .*AUTH_DISABLED=true/,
    );
    expect(loadConfig({ NODE_ENV: 'production', AUTH_DISABLED: 'true' }).auth).toBeUndefined();
    expect(loadConfig({ NODE_ENV: 'production', AUTH_JWT_SECRET: SECRET }).auth).toBeDefined();
  });

  it.each([
    ['AUTH_JWT_SECRET', 'too short'],
    ['AUTH_JWKS_URL', 'ftp://issuer.test/jwks.json'],
    ['AUTH_JWKS_URL', 'not a url'],
    ['AUTH_DISABLED', 'yes'],
  ])('rejects %s=%s, naming the variable', (name, value) => {
    expect(() => loadConfig({ [name]: value })).toThrow(new RegExp(`${name}:`));
  });

  it('never repeats the secret in its message', () => {
    expect(() => loadConfig({ AUTH_JWT_SECRET: 'short-but-secret' })).toThrow(
      expect.objectContaining({ message: expect.not.stringContaining('short-but-secret') }) as Error,
    );
  });

  it('refuses AUTH_DISABLED=true beside a key source: it would not be off', () => {
    expect(() => loadConfig({ AUTH_DISABLED: 'true', AUTH_JWT_SECRET: SECRET })).toThrow(/AUTH_DISABLED:/);
  });
});
