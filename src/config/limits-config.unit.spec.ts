import { ConfigError, loadConfig } from './config.js';

describe('limits, CORS and shutdown configuration', () => {
  it('limits commands by default in production only', () => {
    expect(loadConfig({}).rateLimitCommands).toBe(0);
    expect(loadConfig({ NODE_ENV: 'development' }).rateLimitCommands).toBe(0);
    expect(loadConfig({ NODE_ENV: 'production', AUTH_DISABLED: 'true' }).rateLimitCommands).toBeGreaterThan(
      0,
    );
    expect(
      loadConfig({ NODE_ENV: 'production', AUTH_DISABLED: 'true', RATE_LIMIT_COMMANDS: '0' })
        .rateLimitCommands,
    ).toBe(0);
  });

  it('has defaults: no CORS, no trusted proxy, 20 streams per client, 10 s to shut down', () => {
    expect(loadConfig({})).toMatchObject({
      rateLimitWindowMs: 10_000,
      liveStreamsPerClient: 20,
      trustProxy: [],
      corsOrigins: [],
      shutdownTimeoutMs: 10_000,
    });
  });

  it('reads every variable', () => {
    expect(
      loadConfig({
        RATE_LIMIT_COMMANDS: '50',
        RATE_LIMIT_WINDOW_MS: '2000',
        LIVE_STREAMS_PER_CLIENT: '3',
        TRUST_PROXY: '10.0.0.0/8, 127.0.0.1,loopback,::1',
        CORS_ORIGINS: 'https://app.example.com, http://localhost:5173',
        SHUTDOWN_TIMEOUT_MS: '2500',
      }),
    ).toMatchObject({
      rateLimitCommands: 50,
      rateLimitWindowMs: 2000,
      liveStreamsPerClient: 3,
      trustProxy: ['10.0.0.0/8', '127.0.0.1', 'loopback', '::1'],
      corsOrigins: ['https://app.example.com', 'http://localhost:5173'],
      shutdownTimeoutMs: 2500,
    });
    expect(loadConfig({ CORS_ORIGINS: '*' }).corsOrigins).toEqual(['*']);
  });

  it.each([
    ['RATE_LIMIT_COMMANDS', '-1'],
    ['RATE_LIMIT_WINDOW_MS', '0'],
    ['LIVE_STREAMS_PER_CLIENT', '0'],
    ['SHUTDOWN_TIMEOUT_MS', 'soon'],
    ['CORS_ORIGINS', 'https://app.example.com/'],
    ['CORS_ORIGINS', 'https://app.example.com/path'],
    ['CORS_ORIGINS', 'app.example.com'],
    ['CORS_ORIGINS', 'ftp://app.example.com'],
    ['CORS_ORIGINS', '*,https://app.example.com'],
    ['TRUST_PROXY', 'true'],
    ['TRUST_PROXY', '10.0.0.0/33'],
    ['TRUST_PROXY', 'proxy.internal'],
  ])('rejects %s=%s, naming the variable', (name, value) => {
    expect(() => loadConfig({ [name]: value })).toThrow(ConfigError);
    expect(() => loadConfig({ [name]: value })).toThrow(new RegExp(`${name}:`));
  });
});
