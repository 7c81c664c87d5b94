import { ConversationClient } from '@conversation-log/client';

/** The bearer token, for this browser tab only: sessionStorage ends with the tab, never on disk for long. */
const TOKEN_KEY = 'conversation-log.token';

const listeners = new Set<() => void>();

export function storedToken(): string | null {
  return sessionStorage.getItem(TOKEN_KEY);
}

/** Sets (or with null forgets) the token; every page then reads again with it. */
export function setToken(token: string | null): void {
  if (token) sessionStorage.setItem(TOKEN_KEY, token.trim());
  else sessionStorage.removeItem(TOKEN_KEY);
  listeners.forEach((listener) => listener());
}

export function onTokenChange(listener: () => void): () => void {
  listeners.add(listener);
  return () => listeners.delete(listener);
}

/** The only way the console reaches the API: the service's own client, on the page's origin. */
export const client = new ConversationClient({
  baseUrl: location.origin,
  headers: (): Record<string, string> => {
    const token = storedToken();
    return token ? { authorization: `Bearer ${token}` } : {};
  },
  // An operator waits for a page: a few quick retries, then the problem is shown.
  maxRetries: 2,
});
