// Functions passed to page.evaluate run in the browser, with its globals.
/// <reference lib="dom" />
/// <reference lib="dom.iterable" />
import type { Browser, Page } from 'playwright-core';
import { createTestDatabase } from '../support/database.js';
import { projectId, request } from '../support/http.js';
import { type RunningService, startService } from '../support/service.js';
import { secretToken, TEST_SECRET } from '../support/tokens.js';
import { launchBrowser, openPage, screenshot } from './browser.js';

/** The console with authentication on: it asks for a token, and shows only what the token allows. */
let service: RunningService;
let browser: Browser;
let page: Page;
const pageErrors: string[] = [];
const ours = projectId('ours');
const theirs = projectId('theirs');

beforeAll(async () => {
  [service, browser] = await Promise.all([
    createTestDatabase('console_auth').then((url) =>
      startService({ DATABASE_URL: url, AUTH_JWT_SECRET: TEST_SECRET }),
    ),
    launchBrowser(),
  ]);
  const admin = await secretToken({ sub: 'admin', projects: ['*'] });
  for (const project of [ours, theirs]) {
    const answer = await request(
      service.baseUrl,
      'POST',
      `/v1/projects/${project}/messages`,
      { content: `secret of ${project}` },
      { authorization: `Bearer ${admin}` },
    );
    expect(answer.status).toBe(201);
  }
  page = await openPage(browser, pageErrors);
});
afterAll(async () => {
  await browser?.close();
  await service?.stop();
});
afterEach(() => expect(pageErrors.splice(0)).toEqual([]));

it('asks for a token, keeps it in session storage only, and shows nothing of a project it does not grant', async () => {
  await page.goto(`${service.baseUrl}/console/#/projects/${theirs}`);
  await page.getByRole('alert').getByText('401').waitFor();
  await screenshot(page, 'token');
  await page.getByLabel('Bearer token').fill(await secretToken({ sub: 'someone', projects: [ours] }));
  await page.getByRole('button', { name: 'Use token' }).click();

  await page.getByText('This token does not grant access to this project').waitFor();
  await expect(page.getByRole('alert').locator('h2').textContent()).resolves.toMatch(/^403 /);
  await expect(page.getByText(`secret of ${theirs}`).count()).resolves.toBe(0);
  const stored = await page.evaluate(() => ({
    session: Object.keys(sessionStorage),
    local: Object.values(localStorage).filter((value: string) => value.startsWith('ey')),
  }));
  expect(stored).toEqual({ session: ['conversation-log.token'], local: [] });

  await page.goto(`${service.baseUrl}/console/#/projects`);
  await page.getByRole('link', { name: ours, exact: true }).waitFor();
  await expect(page.getByRole('link', { name: theirs, exact: true }).count()).resolves.toBe(0);

  await page.goto(`${service.baseUrl}/console/#/projections`);
  await page.getByText('This operation needs the scope conversations:admin').waitFor();
  await page.getByRole('link', { name: 'Conversations' }).click();
  await page.getByRole('link', { name: ours, exact: true }).click();
  await page.getByText(`secret of ${ours}`).waitFor();
});
