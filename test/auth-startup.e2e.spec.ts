import { spawn } from 'node:child_process';
import path from 'node:path';
import { createTestDatabase } from './support/database.js';
import { request } from './support/http.js';
import { spawnService } from './support/service.js';

/** The start-up rules of authentication: never off by accident in production, never with a weak secret. */

const NO_AUTH = { AUTH_JWT_SECRET: undefined, AUTH_JWKS_URL: undefined, AUTH_DISABLED: undefined };

function run(env: Record<string, string | undefined>): Promise<{ code: number | null; output: string }> {
  const child = spawn(process.execPath, [path.resolve('dist/src/main.js')], {
    env: { ...process.env, NODE_OPTIONS: '', ...NO_AUTH, ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  child.stdout.on('data', (chunk: Buffer) => (output += chunk.toString()));
  child.stderr.on('data', (chunk: Buffer) => (output += chunk.toString()));
  return new Promise((resolve) => child.on('exit', (code) => resolve({ code, output })));
}

it('refuses to start in production without authentication, naming the variables', async () => {
  const { code, output } = await run({
    NODE_ENV: 'production',
    DATABASE_URL: await createTestDatabase('auth_prod'),
  });
  expect(code).not.toBe(0);
  expect(output).toContain('AUTH_JWT_SECRET');
  expect(output).toContain('AUTH_JWKS_URL');
  expect(output).toContain('AUTH_DISABLED=true');
  expect(output).not.toMatch(/\n\s+at /);
});

it('starts in production without authentication when AUTH_DISABLED=true says so, and warns', async () => {
  const service = await spawnService({
    env: {
      ...NO_AUTH,
      NODE_ENV: 'production',
      AUTH_DISABLED: 'true',
      DATABASE_URL: await createTestDatabase('auth_disabled'),
    },
  });
  try {
    expect((await request(service.baseUrl, 'GET', '/v1/projects/open/messages')).status).toBe(200);
    expect(service.output()).toContain('Authentication is off');
  } finally {
    await service.stop();
  }
});

it('refuses an HS256 secret shorter than 32 bytes without repeating it', async () => {
  const secret = 'short-secret-0123456789';
  const { code, output } = await run({ AUTH_JWT_SECRET: secret });
  expect(code).not.toBe(0);
  expect(output).toContain('AUTH_JWT_SECRET: expected at least 32 bytes');
  expect(output).not.toContain(secret);
});
