import type pg from 'pg';

/**
 * A transaction on `client` whose BEGIN goes out with its first statement, in the same round trip,
 * when that statement is a simple query (text alone, no parameters): node-postgres sends one query
 * at a time, so a BEGIN of its own is a round trip that does nothing else. A first statement with
 * parameters gets its BEGIN just before it, as usual. Whoever uses it rolls back on `client` when
 * something fails (a ROLLBACK before any statement is harmless).
 */
export function beginWithFirstStatement(client: pg.ClientBase): pg.ClientBase {
  let begun = false;
  const query = async (...args: unknown[]): Promise<unknown> => {
    const send = client.query.bind(client) as (...args: unknown[]) => Promise<unknown>;
    if (begun) return send(...args);
    begun = true;
    const [text] = args;
    if (args.length !== 1 || typeof text !== 'string') {
      await client.query('BEGIN');
      return send(...args);
    }
    // One result per statement: BEGIN's first, then what the statement alone would have answered.
    const [, ...results] = (await client.query(`BEGIN; ${text}`)) as unknown as pg.QueryResult[];
    return results.length === 1 ? results[0] : results;
  };
  return new Proxy(client, {
    get(target, property) {
      if (property === 'query') return query;
      const value: unknown = Reflect.get(target, property, target);
      return typeof value === 'function' ? (value as (...args: unknown[]) => unknown).bind(target) : value;
    },
  });
}
