import { isIP } from 'node:net';
import { accessSync, constants } from 'node:fs';
import { SYSTEM_DIR } from '../database/postgres-binaries.js';

/** Typed configuration, read once from the environment and validated at start-up. */

/**
 * Where the event log lives: PostgreSQL (the default, the same database as the read model) or
 * EventStoreDB/KurrentDB, reached through `EVENTSTORE_CONNECTION_STRING`.
 */
export type EventStoreKind = 'postgres' | 'eventstoredb';
export type LogLevel = 'fatal' | 'error' | 'warn' | 'info' | 'debug' | 'trace';
export type LogFormat = 'json' | 'pretty';

export interface Config {
  port: number;
  host: string;
  /** Unset: the service starts an embedded PostgreSQL under `dataDir`. */
  databaseUrl: string | undefined;
  dataDir: string;
  embeddedPostgresPort: number;
  /** As root: where the embedded PostgreSQL's binaries and data go when "postgres" cannot reach them. */
  embeddedPostgresSystemDir: string;
  eventStore: EventStoreKind;
  /**
   * With `eventstoredb`: the gRPC connection string, `esdb://host:2113?tls=false` for one node or
   * `esdb+discover://a:2113,b:2113,c:2113` for a cluster (`kurrentdb://` spellings arrive as `esdb://`).
   * Unset with `postgres`.
   */
  eventStoreConnectionString?: string;
  logLevel: LogLevel;
  bodyLimitBytes: number;
  databasePoolSize: number;
  /** Upper bound on the decision state kept in memory across conversations. */
  stateCacheBytes: number;
  /**
   * Append transactions one instance runs at once; appends arriving meanwhile wait and leave
   * together in the next one (group commit). One keeps batches largest and commits fewest.
   */
  appendConcurrency: number;
  /** Longest silence on a live (SSE) stream before a comment line keeps it open. */
  sseHeartbeatMs: number;
  /** Most time to receive a whole request, headers and body; then 408 and the connection closes. */
  requestTimeoutMs: number;
  /** Most time to receive a request's headers. */
  headersTimeoutMs: number;
  /** How long an idle keep-alive connection stays open between requests. */
  keepAliveTimeoutMs: number;
  /** Open connections at most; connections past it are closed at once. */
  maxConnections: number;

  // Readiness
  /** Most events a running projection may be behind the log while the instance still reports ready. */
  readyMaxProjectionLag: number;
  // Limits, CORS and shutdown
  /** Commands one client (its token, else its address) may send per window; 0 turns the limit off. */
  rateLimitCommands: number;
  rateLimitWindowMs: number;
  /** Live (SSE) streams one client may hold open at once. */
  liveStreamsPerClient: number;
  /**
   * The proxies (addresses, CIDR ranges or proxy-addr's `loopback`, `linklocal`, `uniquelocal`)
   * whose `X-Forwarded-For` names the client; empty: the client is the socket's address.
   */
  trustProxy: string[];
  /** Origins browsers may call from (`*` alone: any); empty: no CORS headers at all. */
  corsOrigins: string[];
  /** Most time a shutdown may take before the process exits anyway. */
  shutdownTimeoutMs: number;
  /** Logs: JSON lines, or human-readable (pino-pretty) by default on a terminal outside production. */
  logFormat: LogFormat;
  // Authentication (src/auth)
  /** Where bearer tokens are verified; undefined: authentication is off and every route is open. */
  auth: AuthConfig | undefined;
  /** `NODE_ENV`; `production` refuses to start with authentication off unless AUTH_DISABLED=true. */
  nodeEnv: string;
  /**
   * EventStoreDB connection options from variables of their own, named as the client's connection
   * string options; each one set overrides the same option in `EVENTSTORE_CONNECTION_STRING`.
   */
  eventStoreConnectionOptions: EventStoreConnectionOptions;
  /** Serve the web console at `/console`: on by default outside production only. */
  consoleEnabled: boolean;
}

/** At least one key source is set; with both, a token's `alg` chooses between them. */
export interface AuthConfig {
  /** HS256 secret (UTF-8, at least 32 bytes). */
  jwtSecret?: string;
  /** A JSON Web Key Set for the asymmetric algorithms, fetched and cached. */
  jwksUrl?: string;
  /** Required `iss`, when set. */
  issuer?: string;
  /** Required `aud`, when set. */
  audience?: string;
}

/** Options of the EventStoreDB client's connection string, as set by their own variables. */
export interface EventStoreConnectionOptions {
  /** Deadline of every call to the store, in ms (the client's default: 10 s). */
  defaultDeadline?: number;
  /** gRPC keepalive ping interval and the wait for its answer, in ms; -1 disables. */
  keepAliveInterval?: number;
  keepAliveTimeout?: number;
  /** Which cluster node to talk to; applies to `esdb+discover://` and several hosts. */
  nodePreference?: EventStoreNodePreference;
  /** A CA certificate (PEM) that the server's TLS certificate must chain to. */
  tlsCAFile?: string;
}

export type EventStoreNodePreference = 'leader' | 'follower' | 'random' | 'read_only_replica';

export class ConfigError extends Error {
  override readonly name = 'ConfigError';
  constructor(readonly problems: string[]) {
    super(`Invalid configuration:\n${problems.map((problem) => `  - ${problem}`).join('\n')}`);
  }
}

const LOG_LEVELS: readonly LogLevel[] = ['fatal', 'error', 'warn', 'info', 'debug', 'trace'];
const EVENT_STORES: readonly EventStoreKind[] = ['postgres', 'eventstoredb'];
const LOG_FORMATS: readonly LogFormat[] = ['json', 'pretty'];

/** Someone reading a terminal in development gets readable lines; anything else, JSON for machines. */
function defaultLogFormat(env: NodeJS.ProcessEnv): LogFormat {
  return env.NODE_ENV !== 'production' && process.stdout.isTTY ? 'pretty' : 'json';
}
const NODE_PREFERENCES: readonly EventStoreNodePreference[] = [
  'leader',
  'follower',
  'random',
  'read_only_replica',
];

/**
 * The connection string schemes EventStoreDB and KurrentDB document. `kurrentdb` is the newer
 * name of `esdb`, same grammar; the client speaks the `esdb` spelling, so it is stored that way.
 */
const EVENTSTORE_SCHEMES: Readonly<Record<string, string>> = {
  'esdb:': 'esdb:',
  'esdb+discover:': 'esdb+discover:',
  'kurrentdb:': 'esdb:',
  'kurrentdb+discover:': 'esdb+discover:',
};

/** Every environment variable `loadConfig` reads; anything else in the environment is not configuration. */
export const CONFIG_VARIABLES = [
  'PORT',
  'HOST',
  'DATABASE_URL',
  'DATA_DIR',
  'EMBEDDED_POSTGRES_PORT',
  'EMBEDDED_POSTGRES_SYSTEM_DIR',
  'EVENT_STORE',
  'EVENTSTORE_CONNECTION_STRING',
  'LOG_LEVEL',
  'BODY_LIMIT_BYTES',
  'DATABASE_POOL_SIZE',
  'STATE_CACHE_MB',
  'APPEND_CONCURRENCY',
  'SSE_HEARTBEAT_MS',
  'REQUEST_TIMEOUT_MS',
  'HEADERS_TIMEOUT_MS',
  'KEEP_ALIVE_TIMEOUT_MS',
  'MAX_CONNECTIONS',
  // Readiness
  'READY_MAX_PROJECTION_LAG',
  // Limits, CORS and shutdown
  'NODE_ENV',
  'RATE_LIMIT_COMMANDS',
  'RATE_LIMIT_WINDOW_MS',
  'LIVE_STREAMS_PER_CLIENT',
  'TRUST_PROXY',
  'CORS_ORIGINS',
  'SHUTDOWN_TIMEOUT_MS',
  // Logs
  'LOG_FORMAT',
  // Authentication
  'AUTH_JWT_SECRET',
  'AUTH_JWKS_URL',
  'AUTH_ISSUER',
  'AUTH_AUDIENCE',
  'AUTH_DISABLED',
  // EventStoreDB connection options, each overriding the same option in the connection string
  'EVENTSTORE_DEADLINE_MS',
  'EVENTSTORE_KEEPALIVE_INTERVAL_MS',
  'EVENTSTORE_KEEPALIVE_TIMEOUT_MS',
  'EVENTSTORE_NODE_PREFERENCE',
  'EVENTSTORE_TLS_CA_FILE',
  // Web console
  'CONSOLE_ENABLED',
] as const;

export function loadConfig(env: NodeJS.ProcessEnv = process.env): Config {
  const problems: string[] = [];
  const read = new Reader(env, problems);
  const config: Config = {
    port: read.integer('PORT', 3000, 0, 65_535),
    host: read.string('HOST', '127.0.0.1'),
    databaseUrl: read.url('DATABASE_URL', ['postgres:', 'postgresql:']),
    dataDir: read.string('DATA_DIR', '.data'),
    embeddedPostgresPort: read.integer('EMBEDDED_POSTGRES_PORT', 54329, 1, 65_535),
    embeddedPostgresSystemDir: read.string('EMBEDDED_POSTGRES_SYSTEM_DIR', SYSTEM_DIR),
    eventStore: read.oneOf('EVENT_STORE', EVENT_STORES, 'postgres'),
    logLevel: read.oneOf('LOG_LEVEL', LOG_LEVELS, 'info'),
    bodyLimitBytes: read.integer('BODY_LIMIT_BYTES', 1024 * 1024, 1024, 64 * 1024 * 1024),
    databasePoolSize: read.integer('DATABASE_POOL_SIZE', 20, 2, 1000),
    stateCacheBytes: read.integer('STATE_CACHE_MB', 256, 1, 65_536) * 1024 * 1024,
    appendConcurrency: read.integer('APPEND_CONCURRENCY', 1, 1, 64),
    sseHeartbeatMs: read.integer('SSE_HEARTBEAT_MS', 15_000, 10, 15_000),
    requestTimeoutMs: read.integer('REQUEST_TIMEOUT_MS', 30_000, 100, 3_600_000),
    headersTimeoutMs: read.integer('HEADERS_TIMEOUT_MS', 10_000, 100, 3_600_000),
    keepAliveTimeoutMs: read.integer('KEEP_ALIVE_TIMEOUT_MS', 72_000, 100, 3_600_000),
    maxConnections: read.integer('MAX_CONNECTIONS', 10_000, 1, 1_000_000),
    // Readiness
    readyMaxProjectionLag: read.integer('READY_MAX_PROJECTION_LAG', 10_000, 0, 1_000_000),
    // Limits, CORS and shutdown
    ...readLimits(read, env),
    // Logs
    logFormat: read.oneOf('LOG_FORMAT', LOG_FORMATS, defaultLogFormat(env)),
    // Authentication
    auth: readAuth(read, problems),
    nodeEnv: read.string('NODE_ENV', 'development'),
    // EventStoreDB connection options: unset leaves the connection string's (or the client's default)
    eventStoreConnectionOptions: definedOnly({
      defaultDeadline: read.optionalInteger('EVENTSTORE_DEADLINE_MS', 1, 3_600_000),
      keepAliveInterval: read.keepAlive('EVENTSTORE_KEEPALIVE_INTERVAL_MS'),
      keepAliveTimeout: read.keepAlive('EVENTSTORE_KEEPALIVE_TIMEOUT_MS'),
      nodePreference: read.optionalOneOf('EVENTSTORE_NODE_PREFERENCE', NODE_PREFERENCES),
      tlsCAFile: read.existingFile('EVENTSTORE_TLS_CA_FILE'),
    }),
    // Web console: an operator's tool, so production serves it only when asked to
    consoleEnabled:
      read.oneOf(
        'CONSOLE_ENABLED',
        ['true', 'false'],
        env.NODE_ENV?.trim() === 'production' ? 'false' : 'true',
      ) === 'true',
  };
  // Read whatever the backend, so that the variable is always known; required and used only with EventStoreDB.
  const connectionString = read.eventStoreConnectionString('EVENTSTORE_CONNECTION_STRING');
  if (config.eventStore === 'eventstoredb') {
    if (connectionString.problem !== undefined) problems.push(connectionString.problem);
    else config.eventStoreConnectionString = connectionString.value;
  }
  if (config.headersTimeoutMs > config.requestTimeoutMs) {
    problems.push(
      `HEADERS_TIMEOUT_MS (${config.headersTimeoutMs}) must not exceed REQUEST_TIMEOUT_MS (${config.requestTimeoutMs})`,
    );
  }
  if (problems.length > 0) throw new ConfigError(problems);
  return config;
}

/** Limits, CORS and shutdown. Commands are rate-limited by default in production only. */
function readLimits(
  read: Reader,
  env: NodeJS.ProcessEnv,
): Pick<
  Config,
  | 'rateLimitCommands'
  | 'rateLimitWindowMs'
  | 'liveStreamsPerClient'
  | 'trustProxy'
  | 'corsOrigins'
  | 'shutdownTimeoutMs'
> {
  const production = env.NODE_ENV?.trim() === 'production';
  return {
    rateLimitCommands: read.integer('RATE_LIMIT_COMMANDS', production ? 300 : 0, 0, 1_000_000),
    rateLimitWindowMs: read.integer('RATE_LIMIT_WINDOW_MS', 10_000, 100, 3_600_000),
    liveStreamsPerClient: read.integer('LIVE_STREAMS_PER_CLIENT', 20, 1, 100_000),
    trustProxy: read.proxies('TRUST_PROXY'),
    corsOrigins: read.origins('CORS_ORIGINS'),
    shutdownTimeoutMs: read.integer('SHUTDOWN_TIMEOUT_MS', 10_000, 100, 600_000),
  };
}

const PROXY_NAMES = ['loopback', 'linklocal', 'uniquelocal'];

/** Shorter HS256 secrets can be guessed offline from one token (RFC 7518, section 3.2). */
const MIN_SECRET_BYTES = 32;

/**
 * Authentication is off only when no key source is set, and then never silently in production:
 * AUTH_DISABLED=true must say it is meant. AUTH_DISABLED=true beside a key source contradicts it.
 */
function readAuth(read: Reader, problems: string[]): AuthConfig | undefined {
  const jwtSecret = read.optional('AUTH_JWT_SECRET');
  const jwksUrl = read.url('AUTH_JWKS_URL', ['http:', 'https:']);
  const issuer = read.optional('AUTH_ISSUER');
  const audience = read.optional('AUTH_AUDIENCE');
  const disabled = read.oneOf('AUTH_DISABLED', ['true', 'false'], 'false') === 'true';
  const production = read.string('NODE_ENV', 'development') === 'production';
  // The secret itself is never repeated.
  if (jwtSecret !== undefined && Buffer.byteLength(jwtSecret) < MIN_SECRET_BYTES)
    problems.push(`AUTH_JWT_SECRET: expected at least ${MIN_SECRET_BYTES} bytes`);
  const keySource = jwtSecret !== undefined || read.optional('AUTH_JWKS_URL') !== undefined;
  if (keySource && disabled)
    problems.push('AUTH_DISABLED: true contradicts AUTH_JWT_SECRET / AUTH_JWKS_URL; set one or the other');
  if (!keySource && production && !disabled)
    problems.push(
      'AUTH_JWT_SECRET or AUTH_JWKS_URL: one is required with NODE_ENV=production ' +
        '(or set AUTH_DISABLED=true to run without authentication)',
    );
  if (!keySource) return undefined;
  return { jwtSecret, jwksUrl, issuer, audience };
}

class Reader {
  constructor(
    private readonly env: NodeJS.ProcessEnv,
    private readonly problems: string[],
  ) {}

  private raw(name: string): string | undefined {
    const value = this.env[name]?.trim();
    return value === undefined || value === '' ? undefined : value;
  }

  optional(name: string): string | undefined {
    return this.raw(name);
  }

  string(name: string, fallback: string): string {
    return this.raw(name) ?? fallback;
  }

  integer(name: string, fallback: number, min: number, max: number): number {
    const value = this.raw(name);
    if (value === undefined) return fallback;
    const parsed = /^\d+$/.test(value) ? Number(value) : NaN;
    if (!Number.isSafeInteger(parsed) || parsed < min || parsed > max) {
      this.problems.push(`${name}: expected a whole number from ${min} to ${max}, got "${value}"`);
      return fallback;
    }
    return parsed;
  }

  optionalInteger(name: string, min: number, max: number): number | undefined {
    return this.raw(name) === undefined ? undefined : this.integer(name, 0, min, max);
  }

  /** A keepalive setting: a time in ms, or -1 to turn it off (the client's convention). */
  keepAlive(name: string): number | undefined {
    return this.raw(name) === '-1' ? -1 : this.optionalInteger(name, 1, 3_600_000);
  }

  optionalOneOf<T extends string>(name: string, allowed: readonly T[]): T | undefined {
    return this.raw(name) === undefined ? undefined : this.oneOf(name, allowed, allowed[0]!);
  }

  /** A path that must name a readable file now, rather than fail when the client first connects. */
  existingFile(name: string): string | undefined {
    const value = this.raw(name);
    if (value === undefined) return undefined;
    try {
      accessSync(value, constants.R_OK);
      return value;
    } catch {
      this.problems.push(`${name}: expected a readable file, got "${value}"`);
      return undefined;
    }
  }

  oneOf<T extends string>(name: string, allowed: readonly T[], fallback: T): T {
    const value = this.raw(name);
    if (value === undefined) return fallback;
    if (!(allowed as readonly string[]).includes(value)) {
      const expected =
        allowed.length === 1
          ? `"${allowed[0]}", the only one this version supports`
          : `one of ${allowed.join(', ')}`;
      this.problems.push(`${name}: expected ${expected}, got "${value}"`);
      return fallback;
    }
    return value as T;
  }

  /** Checks the scheme and that hosts follow it; the client parses the options itself. */
  eventStoreConnectionString(name: string): { value?: string; problem?: string } {
    const value = this.raw(name);
    const expected =
      'expected esdb://host:2113?tls=false (one node) or esdb+discover://host1:2113,host2:2113,host3:2113 ' +
      '(a cluster); kurrentdb:// and kurrentdb+discover:// are accepted too';
    if (value === undefined)
      return { problem: `${name}: required with EVENT_STORE=eventstoredb; ${expected}` };
    const match = /^([a-z+]+:)\/\/(?:[^@/?]+@)?([^/?]*)(\/?(?:\?.*)?)$/i.exec(value);
    const scheme = match?.[1] === undefined ? undefined : EVENTSTORE_SCHEMES[match[1].toLowerCase()];
    const hosts = match?.[2]?.split(',') ?? [];
    const valid =
      scheme !== undefined &&
      hosts.length > 0 &&
      hosts.every((host) => /^(?:\[[0-9a-f:.]+\]|[a-z0-9.-]+)(?::\d{1,5})?$/i.test(host));
    // The value may hold credentials: only its scheme is repeated.
    const got = /^[^:/]*:\/\//.exec(value)?.[0] ?? 'no scheme';
    if (!match || !valid) return { problem: `${name}: ${expected}, got ${got}…` };
    return { value: `${scheme}//${value.slice(match[1]!.length + 2)}` };
  }

  url(name: string, protocols: readonly string[]): string | undefined {
    const value = this.raw(name);
    if (value === undefined) return undefined;
    let protocol: string | undefined;
    try {
      protocol = new URL(value).protocol;
    } catch {
      protocol = undefined;
    }
    if (!protocol || !protocols.includes(protocol)) {
      this.problems.push(`${name}: expected a ${protocols.map((p) => `${p}//`).join(' or ')} URL`);
      return undefined;
    }
    return value;
  }

  /** A comma list of `scheme://host[:port]` origins, or `*` alone. */
  origins(name: string): string[] {
    const entries = this.list(name);
    if (entries.length === 1 && entries[0] === '*') return entries;
    const bad = entries.find((entry) => !isOrigin(entry));
    if (bad !== undefined) {
      this.problems.push(
        `${name}: expected * alone or a comma list of origins such as https://app.example.com (no path), got "${bad}"`,
      );
      return [];
    }
    return entries;
  }

  /** A comma list of addresses, CIDR ranges or proxy-addr's names. */
  proxies(name: string): string[] {
    const entries = this.list(name);
    const bad = entries.find((entry) => !PROXY_NAMES.includes(entry) && !isAddressOrRange(entry));
    if (bad !== undefined) {
      this.problems.push(
        `${name}: expected a comma list of proxy addresses or CIDR ranges (or ${PROXY_NAMES.join(', ')}), got "${bad}"`,
      );
      return [];
    }
    return entries;
  }

  private list(name: string): string[] {
    return (this.raw(name) ?? '')
      .split(',')
      .map((entry) => entry.trim())
      .filter((entry) => entry !== '');
  }
}

/** Exactly what a browser sends as `Origin`: an http(s) URL with nothing after the port. */
function isOrigin(value: string): boolean {
  try {
    const url = new URL(value);
    return (url.protocol === 'https:' || url.protocol === 'http:') && url.origin === value;
  } catch {
    return false;
  }
}

function isAddressOrRange(value: string): boolean {
  const [address = '', prefix, ...rest] = value.split('/');
  const family = isIP(address);
  if (family === 0 || rest.length > 0) return false;
  if (prefix === undefined) return true;
  return /^\d{1,3}$/.test(prefix) && Number(prefix) <= (family === 4 ? 32 : 128);
}

function definedOnly<T extends object>(values: T): T {
  return Object.fromEntries(Object.entries(values).filter(([, value]) => value !== undefined)) as T;
}
