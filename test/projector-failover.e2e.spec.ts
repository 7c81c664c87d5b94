import { createTestDatabase } from './support/database.js';
import { projectId, request } from './support/http.js';
import { type RunningService, startService } from './support/service.js';

const ACTIVE = 'this instance is the active projector';

async function until(
  condition: () => boolean | Promise<boolean>,
  what: string,
  timeoutMs = 10_000,
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await condition())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

describe('two service instances', () => {
  it('run one active projector; the other takes over within seconds when it stops', async () => {
    const url = await createTestDatabase('failover');
    const services: RunningService[] = [];
    try {
      services.push(
        await startService({ DATABASE_URL: url, LOG_LEVEL: 'info' }),
        await startService({ DATABASE_URL: url, LOG_LEVEL: 'info' }),
      );
      await until(() => services.some((s) => s.output().includes(ACTIVE)), 'an active projector');
      await new Promise((resolve) => setTimeout(resolve, 1_500)); // longer than a standby's retry
      const active = services.filter((s) => s.output().includes(ACTIVE));
      expect(active).toHaveLength(1);
      const [first] = active;
      const standby = services.find((s) => s !== first)!;

      const p = projectId('failover');
      const before = await request(standby.baseUrl, 'POST', `/v1/projects/${p}/messages`, {
        content: 'before',
      });
      const seen = await request(standby.baseUrl, 'GET', `/v1/projects/${p}/messages?minRevision=0`);
      expect(seen.status).toBe(200);
      expect(seen.body.data).toEqual([before.body]);

      await first!.stop();
      const stoppedAt = Date.now();
      await until(() => standby.output().includes(ACTIVE), 'the standby to take over');
      expect(Date.now() - stoppedAt).toBeLessThan(5_000);

      const after = await request(standby.baseUrl, 'POST', `/v1/projects/${p}/messages`, {
        content: 'after',
      });
      const page = await request(standby.baseUrl, 'GET', `/v1/projects/${p}/messages?minRevision=1`);
      expect(page.status).toBe(200);
      expect(page.body.data).toEqual([before.body, after.body]);
      const [status] = (await request(standby.baseUrl, 'GET', '/v1/projections')).body;
      expect(status).toMatchObject({ name: 'messages', status: 'running', lag: 0 });
    } finally {
      await Promise.all(services.map((s) => s.stop()));
    }
  });
});
