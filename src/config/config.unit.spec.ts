import { CONFIG_VARIABLES, ConfigError, loadConfig } from './config.js';

describe('loadConfig', () => {
  it('has defaults that run the service on the embedded PostgreSQL', () => {
    expect(loadConfig({})).toMatchObject({
      port: 3000,
      host: '127.0.0.1',
      databaseUrl: undefined,
      dataDir: '.data',
      embeddedPostgresSystemDir: '/var/lib/conversation-log',
      eventStore: 'postgres',
      logLevel: 'info',
      bodyLimitBytes: 1024 * 1024,
    });
  });

  it('reads every variable', () => {
    const config = loadConfig({
      PORT: '8080',
      HOST: '0.0.0.0',
      DATABASE_URL: 'postgres://u:p@db:5432/log',
      LOG_LEVEL: 'debug',
      BODY_LIMIT_BYTES: '2048',
      STATE_CACHE_MB: '8',
      APPEND_CONCURRENCY: '3',
    });
    expect(config).toMatchObject({
      port: 8080,
      host: '0.0.0.0',
      databaseUrl: 'postgres://u:p@db:5432/log',
      logLevel: 'debug',
      bodyLimitBytes: 2048,
      stateCacheBytes: 8 * 1024 * 1024,
      appendConcurrency: 3,
    });
  });

  it.each([
    ['PORT', 'abc'],
    ['PORT', '70000'],
    ['DATABASE_URL', 'mysql://x/y'],
    ['DATABASE_URL', 'not a url'],
    ['EVENT_STORE', 'kafka'],
    ['LOG_LEVEL', 'loud'],
    ['BODY_LIMIT_BYTES', '-1'],
    ['APPEND_CONCURRENCY', '0'],
    ['REQUEST_TIMEOUT_MS', '0'],
    ['HEADERS_TIMEOUT_MS', 'soon'],
    ['KEEP_ALIVE_TIMEOUT_MS', '-5'],
    ['MAX_CONNECTIONS', '0'],
  ])('rejects %s=%s, naming the variable', (name, value) => {
    expect(() => loadConfig({ [name]: value })).toThrow(ConfigError);
    expect(() => loadConfig({ [name]: value })).toThrow(new RegExp(`${name}:`));
  });

  it('takes EventStoreDB with its connection string, a single node or a cluster', () => {
    for (const url of [
      'esdb://localhost:2113?tls=false',
      'esdb+discover://a:2113,b:2113,c:2113',
      'kurrentdb://k:2113',
    ]) {
      expect(loadConfig({ EVENT_STORE: 'eventstoredb', EVENTSTORE_CONNECTION_STRING: url })).toMatchObject({
        eventStore: 'eventstoredb',
        // The client speaks the esdb spelling of kurrentdb's scheme.
        eventStoreConnectionString: url.replace(/^kurrentdb/, 'esdb'),
      });
    }
  });

  it.each([undefined, 'postgres://db/log', 'not a url'])(
    'refuses EVENT_STORE=eventstoredb with EVENTSTORE_CONNECTION_STRING=%s, naming the variable',
    (url) => {
      const env = {
        EVENT_STORE: 'eventstoredb',
        ...(url === undefined ? {} : { EVENTSTORE_CONNECTION_STRING: url }),
      };
      expect(() => loadConfig(env)).toThrow(/EVENTSTORE_CONNECTION_STRING:/);
    },
  );

  it('lists every problem at once', () => {
    const error = (() => {
      try {
        loadConfig({ PORT: 'x', LOG_LEVEL: 'y' });
      } catch (caught) {
        return caught as ConfigError;
      }
      throw new Error('expected a ConfigError');
    })();
    expect(error.problems).toHaveLength(2);
  });

  it('has HTTP timeouts and a connection cap by default, and takes them from the environment', () => {
    expect(loadConfig({})).toMatchObject({
      requestTimeoutMs: 30_000,
      headersTimeoutMs: 10_000,
      keepAliveTimeoutMs: 72_000,
      maxConnections: 10_000,
    });
    expect(
      loadConfig({
        REQUEST_TIMEOUT_MS: '5000',
        HEADERS_TIMEOUT_MS: '2000',
        KEEP_ALIVE_TIMEOUT_MS: '1000',
        MAX_CONNECTIONS: '50',
      }),
    ).toMatchObject({
      requestTimeoutMs: 5000,
      headersTimeoutMs: 2000,
      keepAliveTimeoutMs: 1000,
      maxConnections: 50,
    });
  });

  it('refuses a headers timeout longer than the request timeout', () => {
    expect(() => loadConfig({ REQUEST_TIMEOUT_MS: '1000', HEADERS_TIMEOUT_MS: '2000' })).toThrow(
      /HEADERS_TIMEOUT_MS .* must not exceed REQUEST_TIMEOUT_MS/,
    );
  });

  it('serves the console outside production, and in production only with CONSOLE_ENABLED=true', () => {
    expect(loadConfig({}).consoleEnabled).toBe(true);
    expect(loadConfig({ CONSOLE_ENABLED: 'false' }).consoleEnabled).toBe(false);
    const production = { NODE_ENV: 'production', AUTH_DISABLED: 'true' };
    expect(loadConfig(production).consoleEnabled).toBe(false);
    expect(loadConfig({ ...production, CONSOLE_ENABLED: 'true' }).consoleEnabled).toBe(true);
    expect(() => loadConfig({ CONSOLE_ENABLED: 'yes' })).toThrow(
      /CONSOLE_ENABLED: expected one of true, false/,
    );
  });

  describe('the EventStoreDB backend', () => {
    const withStore = (connectionString?: string) =>
      loadConfig({
        EVENT_STORE: 'eventstoredb',
        ...(connectionString === undefined ? {} : { EVENTSTORE_CONNECTION_STRING: connectionString }),
      });

    it.each([
      'esdb://kurrentdb:2113?tls=false',
      'esdb://localhost:2113',
      'esdb://admin:changeit@127.0.0.1:2113?tls=true&tlsVerifyCert=false',
      'esdb+discover://node1:2113,node2:2113,node3:2113?tls=false',
      'esdb+discover://cluster.example.test:2113?nodePreference=leader',
      'esdb://[::1]:2113/?tls=false',
    ])('takes %s as it is', (connectionString) => {
      expect(withStore(connectionString)).toMatchObject({
        eventStore: 'eventstoredb',
        eventStoreConnectionString: connectionString,
      });
    });

    it.each([
      ['kurrentdb://kurrentdb:2113?tls=false', 'esdb://kurrentdb:2113?tls=false'],
      ['kurrentdb+discover://a:2113,b:2113,c:2113', 'esdb+discover://a:2113,b:2113,c:2113'],
      ['KurrentDB://a:2113', 'esdb://a:2113'],
    ])('takes %s in the spelling the client speaks, %s', (given, stored) => {
      expect(withStore(given).eventStoreConnectionString).toBe(stored);
    });

    it('requires a connection string, naming the variable', () => {
      expect(() => withStore()).toThrow(ConfigError);
      expect(() => withStore()).toThrow(
        /EVENTSTORE_CONNECTION_STRING: required with EVENT_STORE=eventstoredb/,
      );
      expect(() => withStore('   ')).toThrow(/EVENTSTORE_CONNECTION_STRING: required/);
    });

    it.each([
      'http://kurrentdb:2113',
      'postgres://u:p@db:5432/log',
      'kurrentdb:2113',
      'esdb://',
      'esdb://a b:2113',
      'esdb://a:2113,,b:2113',
      'esdb+discover://node1:port',
      'tcp://admin:changeit@localhost:1113',
    ])('rejects %s, naming the variable', (connectionString) => {
      expect(() => withStore(connectionString)).toThrow(ConfigError);
      expect(() => withStore(connectionString)).toThrow(/EVENTSTORE_CONNECTION_STRING: expected esdb:\/\//);
    });

    it('does not repeat credentials from a rejected connection string', () => {
      expect(() => withStore('tcp://admin:secret-password@localhost:1113')).toThrow(/got tcp:\/\/…/);
      expect(() => withStore('tcp://admin:secret-password@localhost:1113')).not.toThrow(/secret-password/);
    });

    it('ignores the connection string on the PostgreSQL backend', () => {
      const config = loadConfig({ EVENTSTORE_CONNECTION_STRING: 'not even a URL' });
      expect(config.eventStore).toBe('postgres');
      expect(config.eventStoreConnectionString).toBeUndefined();
    });
  });

  it('lists in CONFIG_VARIABLES exactly the variables it reads', () => {
    const readBy = (base: Record<string, string>) => {
      const names = new Set<string>();
      const env = new Proxy(base, {
        get: (target, name) => {
          if (typeof name === 'string') names.add(name);
          return target[name as string];
        },
      });
      loadConfig(env);
      return names;
    };
    const read = new Set([
      ...readBy({}),
      ...readBy({ EVENT_STORE: 'eventstoredb', EVENTSTORE_CONNECTION_STRING: 'esdb://a:2113' }),
    ]);
    expect([...read].sort()).toEqual([...CONFIG_VARIABLES].sort());
  });
});
