import { rm } from 'node:fs/promises';

/** Runs once per project that started the server (int, e2e): only the first stops it. */
export default async function globalTeardown(): Promise<void> {
  const test = globalThis.__TEST_POSTGRES__;
  if (!test) return;
  globalThis.__TEST_POSTGRES__ = undefined;
  await test.server.stop();
  await rm(test.dataDir, { recursive: true, force: true });
}
