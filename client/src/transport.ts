import { type BackoffOptions, retryDelay, sleep } from './backoff.js';
import { problemError } from './errors.js';

type HeaderSource = Record<string, string> | (() => Record<string, string> | Promise<Record<string, string>>);

export interface TransportOptions extends BackoffOptions {
  /** The service's origin, e.g. `http://127.0.0.1:3000`. */
  baseUrl: string;
  /** Sent with every request; a function is called each time, so a token can be refreshed. */
  headers?: HeaderSource;
  /** Retries after the first attempt, on network errors, 429 and 503 (default 5). */
  maxRetries?: number;
  /** Another `fetch` (default: the global one). */
  fetch?: typeof fetch;
}

export interface RequestOptions {
  body?: unknown;
  headers?: Record<string, string>;
  signal?: AbortSignal;
}

export interface Answer<T> {
  status: number;
  headers: Headers;
  body: T;
}

/**
 * Sends one request, and sends it again on a network error, `429` or `503`: safe for commands too,
 * because every command carries an id the client chose, and the service answers a repeat with the
 * original. Any other answer that is not a success throws its typed problem error.
 */
export class Transport {
  private readonly fetch: typeof fetch;

  constructor(private readonly options: TransportOptions) {
    this.fetch = options.fetch ?? ((input, init) => globalThis.fetch(input, init));
  }

  url(path: string): string {
    return new URL(path, this.options.baseUrl).toString();
  }

  async headers(extra: Record<string, string> = {}): Promise<Record<string, string>> {
    const source = this.options.headers;
    const base = typeof source === 'function' ? await source() : (source ?? {});
    return { ...base, ...extra };
  }

  /** `fetch` as this client calls it: its headers added, nothing retried, the response unread. */
  async raw(path: string, init: RequestInit & { headers?: Record<string, string> }): Promise<Response> {
    return this.fetch(this.url(path), { ...init, headers: await this.headers(init.headers) });
  }

  async request<T>(method: string, path: string, options: RequestOptions = {}): Promise<Answer<T>> {
    const maxRetries = this.options.maxRetries ?? 5;
    for (let attempt = 0; ; attempt++) {
      const outcome = await this.attempt(method, path, options);
      const retryable = outcome instanceof Error || outcome.status === 429 || outcome.status === 503;
      if (!retryable || attempt >= maxRetries || options.signal?.aborted) return settle<T>(outcome);
      const retryAfter = outcome instanceof Error ? null : outcome.headers.get('retry-after');
      await sleep(retryDelay(attempt, retryAfter, this.options), options.signal);
    }
  }

  /** One exchange, the body read; a network failure is returned, an abort thrown. */
  private async attempt(
    method: string,
    path: string,
    options: RequestOptions,
  ): Promise<Answer<unknown> | Error> {
    const headers: Record<string, string> = { accept: 'application/json', ...options.headers };
    if (options.body !== undefined) headers['content-type'] = 'application/json';
    try {
      const response = await this.raw(path, {
        method,
        headers,
        body: options.body === undefined ? undefined : JSON.stringify(options.body),
        signal: options.signal,
      });
      return { status: response.status, headers: response.headers, body: await readBody(response) };
    } catch (error) {
      if (options.signal?.aborted) throw options.signal.reason;
      return error instanceof Error ? error : new Error(String(error));
    }
  }
}

function settle<T>(outcome: Answer<unknown> | Error): Answer<T> {
  if (outcome instanceof Error) throw outcome;
  if (outcome.status >= 400)
    throw problemError(outcome.status, outcome.body, outcome.headers.get('x-request-id'));
  return outcome as Answer<T>;
}

/** The body as JSON, or as text when it is not JSON. */
export async function readBody(response: Response): Promise<unknown> {
  const text = await response.text();
  if (!text) return undefined;
  try {
    return JSON.parse(text);
  } catch {
    return text;
  }
}
