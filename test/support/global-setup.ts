import { chmod, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { EmbeddedDatabase, startEmbeddedPostgres } from '../../src/database/embedded-postgres.js';
import type { freePort as freePortType } from './ports.js';

declare global {
  var __TEST_POSTGRES__: { server: EmbeddedDatabase; dataDir: string } | undefined;
}

/**
 * One real PostgreSQL for the whole run: TEST_DATABASE_URL when given, else an embedded server
 * in a temporary directory. Each test file then works in databases of its own.
 */
export default async function globalSetup(): Promise<void> {
  if (process.env.TEST_DATABASE_URL) return;
  const dataDir = await mkdtemp(path.join(tmpdir(), 'conversation-log-test-'));
  await chmod(dataDir, 0o755); // mkdtemp's 0700 would keep out the postgres user the server runs as (root)
  // The built modules (`npm test` builds first): this file is loaded outside jest's module mapping,
  // so it cannot import the project's .ts files at run time. Same embedded server as the service's.
  const built = '../../dist/src/database/embedded-postgres.js';
  const embedded = (await import(built)) as { startEmbeddedPostgres: typeof startEmbeddedPostgres };
  const ports = '../../dist/test/support/ports.js';
  const { freePort } = (await import(ports)) as { freePort: typeof freePortType };
  const port = await freePort();
  try {
    const server = await embedded.startEmbeddedPostgres({
      dataDir,
      port,
      database: 'postgres',
      maxConnections: 400,
    });
    globalThis.__TEST_POSTGRES__ = { server, dataDir };
    process.env.TEST_DATABASE_URL = server.url;
  } catch (error) {
    await rm(dataDir, { recursive: true, force: true });
    throw error;
  }
}
