// Functions passed to page.evaluate run in the browser, with its globals.
/// <reference lib="dom" />
/// <reference lib="dom.iterable" />
import type { Browser, Page } from 'playwright-core';
import { createTestDatabase } from '../support/database.js';
import { projectId, request } from '../support/http.js';
import { type RunningService, startService } from '../support/service.js';
import { launchBrowser, openPage, screenshot, seriousViolations } from './browser.js';

/** The web console in Chromium against the real service: conversations, live replies, the event log. */
let service: RunningService;
let disabled: RunningService;
let browser: Browser;
let page: Page;
const pageErrors: string[] = [];

beforeAll(async () => {
  const [url, disabledUrl] = await Promise.all([
    createTestDatabase('console'),
    createTestDatabase('console_off'),
  ]);
  [service, disabled, browser] = await Promise.all([
    startService({ DATABASE_URL: url }),
    startService({ DATABASE_URL: disabledUrl, CONSOLE_ENABLED: 'false' }),
    launchBrowser(),
  ]);
  page = await openPage(browser, pageErrors);
});
afterAll(async () => {
  await browser?.close();
  await Promise.all([service?.stop(), disabled?.stop()]);
});
afterEach(() => expect(pageErrors.splice(0)).toEqual([]));

const console = (hash = '') => `${service.baseUrl}/console/${hash}`;

async function post(project: string, path: string, body: unknown): Promise<any> {
  const answer = await request(service.baseUrl, 'POST', `/v1/projects/${project}/${path}`, body);
  if (answer.status >= 300) throw new Error(`POST ${path}: ${answer.status} ${JSON.stringify(answer.body)}`);
  return answer.body;
}

/** The sequences of the messages on screen, top to bottom. */
function sequencesShown(): Promise<number[]> {
  return page.$$eval('article.message', (rows) =>
    rows.map((row) => Number(row.getAttribute('data-sequence'))),
  );
}

function messageText(id: string) {
  return page.locator(`.virtual-row[data-key="${id}"] .content`);
}

describe('serving', () => {
  it('serves the console under a strict CSP: hashed assets immutable, the page never cached', async () => {
    const index = await fetch(console());
    expect(index.status).toBe(200);
    expect(index.headers.get('cache-control')).toBe('no-cache');
    expect(index.headers.get('content-security-policy')).toMatch(/default-src 'none'; script-src 'self'/);
    const html = await index.text();
    const script = /src="(assets\/app-[A-Z0-9]+\.js)"/.exec(html)?.[1];
    expect(script).toBeDefined();
    const asset = await fetch(console(script));
    expect(asset.status).toBe(200);
    expect(asset.headers.get('cache-control')).toBe('public, max-age=31536000, immutable');
    const bare = await fetch(`${service.baseUrl}/console`, { redirect: 'manual' });
    expect([bare.status, bare.headers.get('location')]).toEqual([301, '/console/']);
  });

  it('is not served with CONSOLE_ENABLED=false', async () => {
    expect((await fetch(`${disabled.baseUrl}/console/`)).status).toBe(404);
  });
});

describe('conversations', () => {
  it('lists projects, finds one by id and opens it', async () => {
    const projects = [projectId('alpha'), projectId('beta'), projectId('gamma')];
    for (const project of projects) await post(project, 'messages', { content: `hello from ${project}` });
    await page.goto(console());
    await page.getByRole('link', { name: projects[0], exact: true }).waitFor();
    await screenshot(page, 'projects');
    await page.getByLabel('Find a project by id').fill(projects[1]!.slice(0, 10));
    await expect(page.getByRole('link', { name: projects[0], exact: true }).count()).resolves.toBe(0);
    await page.getByRole('link', { name: projects[1], exact: true }).click();
    await page.getByText(`hello from ${projects[1]}`).waitFor();
    expect(page.url()).toContain(`#/projects/${projects[1]}`);
  });

  it('shows messages posted through the API live, in sequence order, a streamed reply growing', async () => {
    const project = projectId('live');
    const first = await post(project, 'messages', {
      content: 'first question',
      metadata: { tool: 'search' },
    });
    await page.goto(console(`#/projects/${project}`));
    await messageText(first.id).waitFor();
    const turn = await post(project, 'turns', { user: { content: 'second question' }, assistant: {} });
    await messageText(turn.user.id).waitFor();
    let length = 0;
    for (const piece of ['Gener', 'ating ', 'the answer']) {
      await post(project, `assistant-messages/${turn.assistant.id}/stream`, { offset: length, delta: piece });
      length += piece.length;
      await expect(messageText(turn.assistant.id).textContent()).resolves.toBeDefined();
      await page.waitForFunction(
        ([id, text]) =>
          document.querySelector(`.virtual-row[data-key="${id}"] .content`)?.textContent === text,
        [turn.assistant.id, 'Generating the answer'.slice(0, length)] as const,
      );
    }
    await expect(
      page.locator(`.virtual-row[data-key="${turn.assistant.id}"] .badge`).textContent(),
    ).resolves.toBe('pending');
    await post(project, `assistant-messages/${turn.assistant.id}/complete`, {});
    await page.locator(`.virtual-row[data-key="${turn.assistant.id}"] .badge`).waitFor({ state: 'detached' });
    expect(await sequencesShown()).toEqual([0, 1, 2]);
    await page.getByRole('button', { name: /in reply to #1/ }).waitFor();

    await page.getByLabel('Show sequence, revision and events').check();
    await page.getByText('seq 2 · rev 6').waitFor();
    const row = page.locator(`.virtual-row[data-key="${turn.assistant.id}"]`);
    await row.getByRole('button', { name: 'Show the events behind it' }).click();
    await row.locator('.message-events li').first().waitFor();
    await expect(row.locator('.message-events strong').allTextContents()).resolves.toEqual([
      'AssistantReserved',
      'AssistantDeltaAppended',
      'AssistantDeltaAppended',
      'AssistantDeltaAppended',
      'AssistantCompleted',
    ]);
    await page.locator(`.virtual-row[data-key="${first.id}"] summary`).click();
    await page.getByText('"tool": "search"').waitFor();
    await screenshot(page, 'conversation');
  });

  it('reloaded in the middle of a streamed reply, shows exactly what is stored, then goes on', async () => {
    const project = projectId('reload');
    const turn = await post(project, 'turns', { user: { content: 'tell me' }, assistant: {} });
    const reply = turn.assistant.id;
    await post(project, `assistant-messages/${reply}/stream`, { offset: 0, delta: 'Once ' });
    await page.goto(console(`#/projects/${project}`));
    await page.waitForFunction(
      (id) => document.querySelector(`[data-key="${id}"] .content`)?.textContent === 'Once ',
      reply,
    );
    await post(project, `assistant-messages/${reply}/stream`, { offset: 5, delta: 'upon ' });
    await page.reload();
    await messageText(reply).waitFor();
    const stored = await request(service.baseUrl, 'GET', `/v1/projects/${project}/messages/${reply}`);
    expect(await messageText(reply).textContent()).toBe(stored.body.content);
    expect(stored.body.content).toBe('Once upon ');
    await post(project, `assistant-messages/${reply}/stream`, { offset: 10, delta: 'a time' });
    await page.waitForFunction(
      (id) => document.querySelector(`[data-key="${id}"] .content`)?.textContent === 'Once upon a time',
      reply,
    );
  });
});

describe('the event log', () => {
  it('pages by fromRevision and tails new events live', async () => {
    const project = projectId('log');
    await Promise.all(
      Array.from({ length: 30 }, (_, i) => post(project, 'turns', { user: { content: `q${i}` } })),
    );
    await page.goto(console(`#/projects/${project}/events`));
    await page.locator('tr[data-revision="49"]').waitFor();
    expect(await page.locator('tbody tr').count()).toBe(50);
    await screenshot(page, 'events');
    await page.getByRole('link', { name: 'Next page' }).click();
    await page.locator('tr[data-revision="59"]').waitFor();
    expect(await page.locator('tbody tr').count()).toBe(10);
    await expect(page.getByText('End of the log').count()).resolves.toBe(1);
    await page.getByRole('link', { name: 'Previous page' }).click();
    await page.locator('tr[data-revision="0"]').waitFor();

    await page.getByLabel('Live tail').check();
    await page.locator('tr[data-revision="59"]').waitFor();
    await post(project, 'messages', { content: 'tailed' });
    await page.locator('tr[data-revision="60"]').waitFor();
    await expect(page.locator('tr[data-revision="60"]').textContent()).resolves.toContain('tailed');
  });
});

describe('quality', () => {
  it('has no serious accessibility violations on any page, in either theme', async () => {
    const project = projectId('a11y');
    const turn = await post(project, 'turns', {
      user: { content: 'question' },
      assistant: { content: 'answer' },
    });
    const pages = ['#/projects', `#/projects/${project}`, `#/projects/${project}/events`, '#/projections'];
    const found: string[] = [];
    for (const theme of ['light', 'dark']) {
      for (const hash of pages) {
        await page.goto(console(hash));
        await page.evaluate((chosen) => localStorage.setItem('conversation-log.theme', chosen), theme);
        await page.reload();
        await page.locator('h1').waitFor();
        if (hash.endsWith(project)) await messageText(turn.assistant.id).waitFor();
        found.push(...(await seriousViolations(page)).map((violation) => `${theme} ${hash}: ${violation}`));
      }
    }
    await screenshot(page, 'projections-dark');
    expect(found).toEqual([]);
  });

  it('is usable from the keyboard, with a visible focus', async () => {
    await page.goto(console('#/projects'));
    await page.locator('h1').waitFor();
    await page.keyboard.press('Tab');
    await expect(page.evaluate(() => document.activeElement?.textContent)).resolves.toBe('Skip to content');
    await page.keyboard.press('Tab');
    const outline = await page.evaluate(() => getComputedStyle(document.activeElement!).outlineStyle);
    expect(outline).toBe('solid');
  });

  it('shows an unknown page as a problem, never a blank page', async () => {
    await page.goto(console('#/nowhere'));
    await page.getByRole('alert').getByText('Not found').waitFor();
  });
});
