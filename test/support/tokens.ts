import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import {
  type CryptoKey,
  exportJWK,
  exportSPKI,
  generateKeyPair,
  type JWK,
  type JWTPayload,
  SignJWT,
  UnsecuredJWT,
} from 'jose';

/** Bearer tokens for tests and the bench, minted with jose as an issuer would. */

/** A secret long enough for the service (32 bytes or more). */
export const TEST_SECRET = 'a test secret of at least 32 bytes, never used elsewhere';

export interface TokenOptions {
  /** Header `alg`; HS256 unless set. */
  alg?: string;
  kid?: string;
  /** Seconds from now; one hour unless set. Negative: already expired. */
  expiresIn?: number;
  /** Seconds from now when the token starts to be valid. */
  notBefore?: number;
}

const now = (): number => Math.floor(Date.now() / 1000);

/** Signs `claims` with `key` (a secret's bytes or a private key). */
export function sign(
  claims: JWTPayload,
  key: Uint8Array | CryptoKey,
  options: TokenOptions = {},
): Promise<string> {
  const jwt = new SignJWT(claims)
    .setProtectedHeader({
      alg: options.alg ?? 'HS256',
      typ: 'JWT',
      ...(options.kid ? { kid: options.kid } : {}),
    })
    .setIssuedAt()
    .setExpirationTime(now() + (options.expiresIn ?? 3600));
  if (options.notBefore !== undefined) jwt.setNotBefore(now() + options.notBefore);
  return jwt.sign(key);
}

/** An HS256 token signed with `secret` (TEST_SECRET unless given). */
export function secretToken(
  claims: JWTPayload,
  options: TokenOptions = {},
  secret = TEST_SECRET,
): Promise<string> {
  return sign(claims, new TextEncoder().encode(secret), options);
}

/** `alg: none`: no signature at all. */
export function unsignedToken(claims: JWTPayload): string {
  return new UnsecuredJWT(claims)
    .setIssuedAt()
    .setExpirationTime(now() + 3600)
    .encode();
}

/** A signing key of a key set: the private half signs, the public JWK is published. */
export interface SigningKey {
  kid: string;
  alg: string;
  privateKey: CryptoKey;
  publicJwk: JWK;
  /** The public key as PEM: what an HS/RS confusion attack uses as an HMAC secret. */
  publicPem: string;
}

export async function signingKey(kid: string, alg = 'RS256'): Promise<SigningKey> {
  const { privateKey, publicKey } = await generateKeyPair(alg, { extractable: true });
  const publicJwk = { ...(await exportJWK(publicKey)), kid, alg, use: 'sig' };
  return { kid, alg, privateKey, publicJwk, publicPem: await exportSPKI(publicKey) };
}

export function keyToken(key: SigningKey, claims: JWTPayload, options: TokenOptions = {}): Promise<string> {
  return sign(claims, key.privateKey, { alg: key.alg, kid: key.kid, ...options });
}

/** A JSON Web Key Set served over HTTP by the test itself, whose keys can change while it runs. */
export class KeySetServer {
  private keys: JWK[] = [];
  private server: Server | undefined;
  /** How many times the key set was fetched. */
  fetches = 0;

  publish(...keys: SigningKey[]): void {
    this.keys = keys.map((key) => key.publicJwk);
  }

  async start(): Promise<string> {
    const server = createServer((_request, response) => {
      this.fetches++;
      response.writeHead(200, { 'content-type': 'application/jwk-set+json' });
      response.end(JSON.stringify({ keys: this.keys }));
    });
    this.server = server;
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    return `http://127.0.0.1:${(server.address() as AddressInfo).port}/.well-known/jwks.json`;
  }

  stop(): Promise<void> {
    return new Promise((resolve) => {
      if (!this.server) return resolve();
      this.server.closeAllConnections();
      this.server.close(() => resolve());
    });
  }
}
