/**
 * Why a request was refused by authentication, with the `WWW-Authenticate` challenge RFC 6750
 * asks for; src/http/error-mapping.ts tells them to clients.
 */

/** No bearer token, or one that does not verify: 401. */
export class Unauthenticated extends Error {
  override readonly name = 'Unauthenticated';

  /**
   * Without a description no token was sent, and the challenge carries no error code (RFC 6750,
   * section 3.1). A description is the client's to read: it never repeats the token.
   */
  constructor(readonly description?: string) {
    super(description ?? 'This route needs a bearer token: Authorization: Bearer <JWT>');
  }

  get challenge(): string {
    return this.description === undefined
      ? 'Bearer'
      : `Bearer error="invalid_token", error_description="${this.description}"`;
  }
}

/** A valid token that does not grant this project or operation: 403. */
export class Forbidden extends Error {
  override readonly name = 'Forbidden';

  /** `scope`: the scope the route needs, when that is what the token lacks. */
  constructor(
    detail: string,
    readonly scope?: string,
  ) {
    super(detail);
  }

  get challenge(): string | undefined {
    return this.scope === undefined ? undefined : `Bearer error="insufficient_scope", scope="${this.scope}"`;
  }
}

/** The key set could not be fetched: the token may well be valid, so this is not the client's fault. */
export class KeysUnavailable extends Error {
  override readonly name = 'KeysUnavailable';
}
