import type http from 'node:http';
import type pg from 'pg';

/**
 * Runs a baseline's server the way the bench expects of it: listens on a free port, reports the
 * port to the parent over IPC, and on SIGTERM (or when the parent goes) closes every connection
 * and its pool, then exits.
 */
export function serveBaseline(server: http.Server, pool: pg.Pool): void {
  server.keepAliveTimeout = 60_000;
  server.listen(0, '127.0.0.1', () => {
    const address = server.address();
    process.send?.({ port: address && typeof address === 'object' ? address.port : 0 });
  });
  const shutdown = (): void => {
    server.close();
    server.closeAllConnections();
    void pool.end().finally(() => process.exit(0));
  };
  process.once('SIGTERM', shutdown);
  process.once('disconnect', shutdown);
}
