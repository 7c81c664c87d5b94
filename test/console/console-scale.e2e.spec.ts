// Functions passed to page.evaluate run in the browser, with its globals.
/// <reference lib="dom" />
/// <reference lib="dom.iterable" />
import pg from 'pg';
import type { Browser, Page } from 'playwright-core';
import { createTestDatabase } from '../support/database.js';
import { projectId, request } from '../support/http.js';
import { type RunningService, startService } from '../support/service.js';
import { launchBrowser, openPage, screenshot, writeArtifact } from './browser.js';

/** The console at scale: one conversation of 10,000 messages, and a rebuild of the read model under it. */
const MESSAGES = 10_000;
/** Turns sent at once while seeding: each is one append of two messages. */
const SEED_CONCURRENCY = 64;
/** How long the scripted scroll from the first message to the last takes. */
const SCROLL_MS = 4000;

let service: RunningService;
let databaseUrl: string;
let browser: Browser;
let page: Page;
const pageErrors: string[] = [];
const project = projectId('scale');

beforeAll(async () => {
  [service, browser] = await Promise.all([
    createTestDatabase('console_scale').then((url) => {
      databaseUrl = url;
      return startService({ DATABASE_URL: url });
    }),
    launchBrowser(),
  ]);
  page = await openPage(browser, pageErrors);
  const started = Date.now();
  await seed(MESSAGES / 2);
  console.log(`seeded ${MESSAGES} messages in ${((Date.now() - started) / 1000).toFixed(1)} s`);
}, 120_000);
afterAll(async () => {
  await browser?.close();
  await service?.stop();
});
afterEach(() => expect(pageErrors.splice(0)).toEqual([]));

/** `turns` turns through the API, many at once (the service batches concurrent appends into one commit). */
async function seed(turns: number): Promise<void> {
  let next = 0;
  const worker = async () => {
    while (next < turns) {
      const i = next++;
      const answer = await request(service.baseUrl, 'POST', `/v1/projects/${project}/turns`, {
        user: { content: `question ${i}` },
        assistant: { content: i % 3 === 0 ? `a longer answer ${i}\n`.repeat(3) : `answer ${i}` },
      });
      if (answer.status !== 201) throw new Error(`turn ${i}: ${answer.status}`);
    }
  };
  await Promise.all(Array.from({ length: SEED_CONCURRENCY }, worker));
}

interface FrameReport {
  frames: number;
  seconds: number;
  fps: number;
  p95FrameMs: number;
  longFrames: number;
  rowsInDom: number;
}

/** Scrolls the list from top to bottom over `durationMs`, one step a frame, timing every frame. */
function scriptedScroll(durationMs: number): Promise<FrameReport> {
  return page.evaluate(async (duration) => {
    const list = document.querySelector<HTMLElement>('.virtual-list')!;
    list.scrollTop = 0;
    const times: number[] = [];
    let rowsInDom = 0;
    await new Promise<void>((resolve) => {
      const step = (time: number) => {
        times.push(time);
        rowsInDom = Math.max(rowsInDom, list.querySelectorAll('.virtual-row').length);
        const progress = Math.min(1, (time - times[0]!) / duration);
        list.scrollTop = progress * (list.scrollHeight - list.clientHeight);
        if (progress < 1) requestAnimationFrame(step);
        else resolve();
      };
      requestAnimationFrame(step);
    });
    const intervals = times.slice(1).map((time, i) => time - times[i]!);
    const sorted = [...intervals].sort((a, b) => a - b);
    const seconds = (times.at(-1)! - times[0]!) / 1000;
    return {
      frames: intervals.length,
      seconds,
      fps: intervals.length / seconds,
      p95FrameMs: sorted[Math.floor(sorted.length * 0.95)] ?? 0,
      longFrames: intervals.filter((interval) => interval > 1000 / 50).length,
      rowsInDom,
    };
  }, durationMs);
}

it('pages back through 10,000 messages on scroll up, and scrolls them at 60 fps (measured, recorded)', async () => {
  await page.goto(`${service.baseUrl}/console/#/projects/${project}`);
  await page.getByText(/100 messages loaded/).waitFor();
  const list = page.locator('.virtual-list');
  await list.focus();
  for (let loaded = 0; loaded < MESSAGES;) {
    await page.keyboard.press('Home');
    await page.waitForFunction(
      (before) => Number(/(\d+) messages loaded/.exec(document.body.textContent ?? '')?.[1]) > before,
      loaded,
    );
    loaded = await page.evaluate(() =>
      Number(/(\d+) messages loaded/.exec(document.body.textContent ?? '')?.[1]),
    );
  }
  await page.getByText(`${MESSAGES} messages loaded; from the beginning`).waitFor();
  // Each older page kept the rows on screen in place; now the very top is the first message.
  await page.keyboard.press('Home');
  await page.locator('article[data-sequence="0"]').waitFor();

  const report = await scriptedScroll(SCROLL_MS);
  const line = `console scroll through ${MESSAGES} messages: ${report.fps.toFixed(1)} fps over ${report.seconds.toFixed(1)} s (${report.frames} frames, p95 ${report.p95FrameMs.toFixed(1)} ms, ${report.longFrames} frames over 20 ms, at most ${report.rowsInDom} rows in the DOM)`;
  console.log(line);
  await writeArtifact('scroll-fps.json', JSON.stringify({ messages: MESSAGES, ...report }, null, 2));
  await screenshot(page, 'conversation-10000');
  // Virtualized: the rows drawn stay a screenful or two, whatever the conversation's length.
  expect(report.rowsInDom).toBeLessThan(100);
  await page.locator(`article[data-sequence="${MESSAGES - 1}"]`).waitFor();
});

it('rebuilds the read model from the console: confirm, progress, then the new generation', async () => {
  await page.goto(`${service.baseUrl}/console/#/projections`);
  const generation = Number(await page.getByTestId('generation').textContent());
  // A reader's open transaction on the read model holds the switch-over back (a rebuild switches only
  // when no reader holds the views), so the rebuild, caught up, stays in progress until it ends.
  const reader = new pg.Client({ connectionString: databaseUrl });
  await reader.connect();
  try {
    await reader.query('BEGIN');
    await reader.query('SELECT 1 FROM rm_messages LIMIT 1');
    await page.getByRole('button', { name: 'Rebuild…' }).click();
    const dialog = page.getByRole('dialog');
    await dialog.getByText('Rebuild messages?').waitFor();
    await dialog.getByRole('button', { name: 'Rebuild', exact: true }).click();
    const next = generation + 1;
    const progress = page.getByRole('progressbar');
    await progress.waitFor();
    await page
      .getByRole('status')
      .filter({ hasText: new RegExp(`Rebuilding generation ${next}: [1-9]\\d* events applied, 0 to go`) })
      .waitFor({ timeout: 30_000 });
    await expect(progress.getAttribute('value')).resolves.toBe(await progress.getAttribute('max'));
    await screenshot(page, 'projections-rebuild');
    await reader.query('COMMIT');
    await page
      .getByTestId('rebuilt')
      .filter({ hasText: `generation ${next}` })
      .waitFor({ timeout: 30_000 });
    await expect(page.getByTestId('generation').textContent()).resolves.toBe(String(next));
  } finally {
    await reader.end();
  }
  await screenshot(page, 'projections');
});

it('charts what the projector applies, in events per second', async () => {
  await page.goto(`${service.baseUrl}/console/#/projections`);
  await page.getByText(/events\/s/).waitFor();
  await seed(50);
  await page.getByText(/events\/s [1-9]\d* \(max/).waitFor({ timeout: 15_000 });
});
