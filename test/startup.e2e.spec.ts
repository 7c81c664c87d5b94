import { spawn } from 'node:child_process';
import path from 'node:path';
import { createTestDatabase } from './support/database.js';
import { request } from './support/http.js';
import { startService } from './support/service.js';

function run(env: Record<string, string>): Promise<{ code: number | null; output: string }> {
  const child = spawn(process.execPath, [path.resolve('dist/src/main.js')], {
    env: { ...process.env, NODE_OPTIONS: '', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  child.stdout.on('data', (chunk: Buffer) => (output += chunk.toString()));
  child.stderr.on('data', (chunk: Buffer) => (output += chunk.toString()));
  return new Promise((resolve) => child.on('exit', (code) => resolve({ code, output })));
}

describe('start-up', () => {
  it.each([
    ['PORT', 'eighty'],
    ['LOG_LEVEL', 'chatty'],
    ['DATABASE_URL', 'http://example.test/db'],
  ])('a bad %s stops the service with a message naming it', async (name, value) => {
    const { code, output } = await run({ [name]: value });
    expect(code).not.toBe(0);
    expect(output).toContain(`${name}:`);
    expect(output).not.toMatch(/\n\s+at /); // no stack trace
  });

  it('a bad EVENTSTORE_CONNECTION_STRING with EVENT_STORE=eventstoredb stops the service, naming it', async () => {
    const { code, output } = await run({
      EVENT_STORE: 'eventstoredb',
      EVENTSTORE_CONNECTION_STRING: 'http://admin:secret@kurrentdb:2113',
    });
    expect(code).not.toBe(0);
    expect(output).toContain('EVENTSTORE_CONNECTION_STRING:');
    expect(output).not.toContain('secret');
  });

  it('two instances starting together on a new database both come up, migrated once', async () => {
    const url = await createTestDatabase('startup');
    const [a, b] = await Promise.all([
      startService({ DATABASE_URL: url }),
      startService({ DATABASE_URL: url }),
    ]);
    try {
      for (const service of [a, b]) {
        expect((await request(service.baseUrl, 'GET', '/health/ready')).status).toBe(200);
        expect(
          (await request(service.baseUrl, 'POST', '/v1/projects/both/messages', { content: 'x' })).status,
        ).toBe(201);
      }
    } finally {
      await Promise.all([a.stop(), b.stop()]);
    }
  });
});
