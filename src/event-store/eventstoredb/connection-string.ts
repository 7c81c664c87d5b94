import type { EventStoreConnectionOptions } from '../../config/config.js';

/**
 * The client reads its options from the connection string's query (`?key=value&...`), matching
 * keys without regard to case, `-` or `_`, the last one winning. Options set by their own
 * variables replace any spelling of the same key in the string, so one value remains and it is
 * the variable's.
 */
export function withConnectionOptions(
  connectionString: string,
  options: EventStoreConnectionOptions,
): string {
  const set = Object.entries(options).filter(([, value]) => value !== undefined);
  if (set.length === 0) return connectionString;
  const overridden = new Set(set.map(([key]) => flatKey(key)));
  const { base, params } = split(connectionString);
  const kept = params.filter((param) => !overridden.has(flatKey(param.split('=')[0] ?? '')));
  const added = set.map(([key, value]) => `${key}=${encodeURIComponent(String(value))}`);
  return `${base}?${[...kept, ...added].join('&')}`;
}

/** The value of one option in a connection string, as the client would read it (the last one). */
export function connectionOption(
  connectionString: string,
  key: keyof EventStoreConnectionOptions,
): string | undefined {
  const wanted = flatKey(key);
  const values = split(connectionString)
    .params.map((param) => param.split('='))
    .filter(([name]) => flatKey(name ?? '') === wanted)
    .map(([, value]) => value);
  return values.at(-1)?.trim();
}

/** The client's own key normalisation (`parseConnectionString`'s `toflatCase`). */
function flatKey(key: string): string {
  return key.trim().toLowerCase().replace(/[_-]/g, '');
}

function split(connectionString: string): { base: string; params: string[] } {
  const trimmed = connectionString.trim().replace(/\/+$/, '');
  const query = trimmed.indexOf('?');
  if (query < 0) return { base: trimmed, params: [] };
  return {
    base: trimmed.slice(0, query),
    params: trimmed
      .slice(query + 1)
      .split('&')
      .filter((param) => param !== ''),
  };
}
