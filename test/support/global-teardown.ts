import { rm } from 'node:fs/promises';

export default async function globalTeardown(): Promise<void> {
  const test = globalThis.__TEST_POSTGRES__;
  if (!test) return;
  await test.server.stop();
  await rm(test.dataDir, { recursive: true, force: true });
}
