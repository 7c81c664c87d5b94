import { createSecretKey } from 'node:crypto';
import {
  createRemoteJWKSet,
  type CryptoKey,
  errors,
  type FlattenedJWSInput,
  type JWSHeaderParameters,
  type JWTPayload,
  jwtVerify,
  type KeyObject,
} from 'jose';
import { type AuthConfig } from '../config/config.js';
import { KeysUnavailable, Unauthenticated } from './auth.errors.js';
import { type Principal } from './principal.js';
import { VerifiedTokens } from './verified-tokens.js';

/** The one algorithm a shared secret signs with. */
const SECRET_ALGORITHMS: readonly string[] = ['HS256'];

/**
 * What a key set may sign with: only asymmetric algorithms, so that a token cannot pass a public
 * key off as an HMAC secret (HS/RS confusion), and never `none`.
 */
const KEY_SET_ALGORITHMS: readonly string[] = [
  'RS256',
  'RS384',
  'RS512',
  'PS256',
  'PS384',
  'PS512',
  'ES256',
  'ES384',
  'ES512',
  'EdDSA',
  'Ed25519',
];

/** Leeway for `exp` and `nbf`: clocks of issuers and instances drift apart. */
const CLOCK_TOLERANCE_SECONDS = 30;

/**
 * Least time between two fetches of the key set that an unknown `kid` triggers: a rotated key is
 * picked up within it, and tokens with made-up `kid`s cannot make the service hammer the issuer.
 */
const KEY_SET_COOLDOWN_MS = 5_000;
/** A key set fetched longer ago is fetched again before use, so withdrawn keys stop working. */
const KEY_SET_MAX_AGE_MS = 10 * 60_000;
const KEY_SET_TIMEOUT_MS = 5_000;

/** Verified tokens remembered at most: a few hundred bytes each. */
const VERIFIED_TOKENS = 10_000;
/** How long a verified token is believed without verifying it again. */
const VERIFIED_TOKEN_MAX_AGE_MS = 60_000;

export interface TokenVerifier {
  /** The token's principal; throws Unauthenticated or KeysUnavailable. */
  verify(token: string): Promise<Principal>;
}

type KeyResolver = (header: JWSHeaderParameters, token: FlattenedJWSInput) => Promise<CryptoKey | KeyObject>;

/** A place keys come from, and the only algorithms its keys may be used with. */
interface KeySource {
  algorithms: readonly string[];
  key: KeyResolver;
}

/**
 * Verifies bearer tokens with jose against the configured key sources. With both configured, the
 * token's `alg` picks one: HS256 the secret, an asymmetric algorithm the key set.
 */
export function createTokenVerifier(config: AuthConfig, clock: () => number = Date.now): TokenVerifier {
  const sources = [secretSource(config.jwtSecret), keySetSource(config.jwksUrl)].filter(
    (source) => source !== undefined,
  );
  // jose refuses an `alg` outside this list before it asks for a key, so `find` always finds one.
  const algorithms = sources.flatMap((source) => source.algorithms);
  const key: KeyResolver = (header, token) =>
    sources.find((source) => source.algorithms.includes(header.alg ?? ''))!.key(header, token);
  const options = {
    algorithms,
    clockTolerance: CLOCK_TOLERANCE_SECONDS,
    requiredClaims: ['sub'],
    ...(config.issuer === undefined ? {} : { issuer: config.issuer }),
    ...(config.audience === undefined ? {} : { audience: config.audience }),
  };
  const verified = new VerifiedTokens(VERIFIED_TOKENS, VERIFIED_TOKEN_MAX_AGE_MS);
  return {
    async verify(token) {
      const now = clock();
      const known = verified.get(token, now);
      if (known) return known;
      let payload: JWTPayload;
      try {
        ({ payload } = await jwtVerify(token, key, { ...options, currentDate: new Date(now) }));
      } catch (error) {
        throw error instanceof KeysUnavailable ? error : new Unauthenticated(describe(error));
      }
      const principal = principalFrom(payload);
      const expires = payload.exp === undefined ? Infinity : (payload.exp + CLOCK_TOLERANCE_SECONDS) * 1000;
      verified.add(token, principal, expires, now);
      return principal;
    },
  };
}

/** Imported once: jose caches what it derives from a KeyObject, not from raw bytes. */
function secretSource(secret: string | undefined): KeySource | undefined {
  if (secret === undefined) return undefined;
  const key = createSecretKey(Buffer.from(secret));
  return { algorithms: SECRET_ALGORITHMS, key: () => Promise.resolve(key) };
}

/**
 * jose's cached key set; a failure to fetch it becomes KeysUnavailable, while a `kid` it does not
 * hold (after the refetch jose makes for it) stays the token's fault.
 */
function keySetSource(url: string | undefined): KeySource | undefined {
  if (url === undefined) return undefined;
  const keySet = createRemoteJWKSet(new URL(url), {
    cooldownDuration: KEY_SET_COOLDOWN_MS,
    cacheMaxAge: KEY_SET_MAX_AGE_MS,
    timeoutDuration: KEY_SET_TIMEOUT_MS,
  });
  const key: KeyResolver = async (header, token) => {
    try {
      return await keySet(header, token);
    } catch (error) {
      if (error instanceof errors.JWKSNoMatchingKey || error instanceof errors.JWKSMultipleMatchingKeys)
        throw error;
      throw new KeysUnavailable(`The key set at ${url} could not be fetched`, { cause: error });
    }
  };
  return { algorithms: KEY_SET_ALGORITHMS, key };
}

/**
 * A description of jose's verdict that names no part of the token, and no double quote or
 * backslash: it goes into a quoted string of the challenge (RFC 6750, section 3).
 */
function describe(error: unknown): string {
  if (error instanceof errors.JWTExpired) return 'The token has expired';
  if (error instanceof errors.JWTClaimValidationFailed) {
    if (error.claim === 'nbf') return 'The token is not valid yet';
    if (error.reason === 'missing') return `The token has no ${error.claim} claim`;
    return `The token's ${error.claim} claim is not accepted`;
  }
  if (error instanceof errors.JOSEAlgNotAllowed) return 'The token is signed with an algorithm not accepted';
  if (error instanceof errors.JWSSignatureVerificationFailed) return 'The token signature is not valid';
  if (error instanceof errors.JWKSNoMatchingKey || error instanceof errors.JWKSMultipleMatchingKeys)
    return 'The token is signed with an unknown key';
  return 'The token is malformed';
}

/** `sub`, `projects` and `scope`, each of the type API.md gives it, or the token is refused. */
function principalFrom(payload: JWTPayload): Principal {
  const { sub, projects, scope } = payload;
  if (typeof sub !== 'string' || sub === '')
    throw new Unauthenticated("The token's sub claim is not accepted");
  if (projects !== undefined && !isStringList(projects))
    throw new Unauthenticated("The token's projects claim must be a list of project ids");
  if (scope !== undefined && typeof scope !== 'string')
    throw new Unauthenticated("The token's scope claim must be a space-separated string");
  const list = projects ?? [];
  return {
    subject: sub,
    projects: list.includes('*') ? '*' : new Set(list),
    scopes: new Set((scope ?? '').split(' ').filter(Boolean)),
  };
}

function isStringList(value: unknown): value is string[] {
  return Array.isArray(value) && value.every((item) => typeof item === 'string');
}
