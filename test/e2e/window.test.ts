/**
 * The window end to end, in Debian's Chromium against `lethe serve`: train from the
 * Train page, watch progress move, cancel one run and finish another, find both on the
 * Runs page with the right status, open the finished one and see its curves.
 * Screenshots go to test-output/e2e/. Needs `npm run build` (npm test does it) and
 * /usr/bin/chromium (.ci/run installs it; elsewhere the test is skipped without it, except
 * in CI or under LETHE_REQUIRE_CHROMIUM=1, where its absence fails: test/requirements.ts).
 */
import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { createInterface } from 'node:readline';
import { chromium, type Browser, type Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { makeTempDir } from '../helpers.js';
import { requirement } from '../requirements.js';

const CHROMIUM = '/usr/bin/chromium';
const chromiumBrowser = requirement('chromium', 'Chromium', fs.existsSync(CHROMIUM) ? null : `${CHROMIUM} does not exist (apt-get install chromium)`);
const shots = path.resolve('test-output/e2e');

describe.skipIf(chromiumBrowser.skip)('window in Chromium over the HTTP bridge', () => {
  let server: ChildProcess;
  let browser: Browser;
  let page: Page;
  let url: string;
  let token: string;

  beforeAll(async () => {
    fs.mkdirSync(shots, { recursive: true });
    server = spawn(process.execPath, ['bin/lethe.mjs', 'serve', '--json', '--data-dir', makeTempDir('e2e')], {
      env: { ...process.env, LETHE_BACKEND: 'wasm' },
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    const firstLine = await new Promise<string>((resolve, reject) => {
      createInterface({ input: server.stdout! }).once('line', resolve);
      server.once('exit', (code) => reject(new Error(`lethe serve exited with ${code}`)));
    });
    ({ url, token } = JSON.parse(firstLine) as { url: string; token: string });
    browser = await chromium.launch({
      executablePath: CHROMIUM,
      args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--no-first-run'],
    });
    page = await browser.newPage({ viewport: { width: 1280, height: 900 } });
  });

  afterAll(async () => {
    await browser?.close();
    server?.kill('SIGTERM');
  });

  async function startRun(fields: Record<string, string>): Promise<string> {
    await page.getByTestId('nav-train').click();
    for (const [name, value] of Object.entries(fields)) {
      const element = page.locator(`[name="${name}"]`);
      if ((await element.evaluate((e) => e.tagName)) === 'SELECT') await element.selectOption(value);
      else await element.fill(value);
    }
    const before = await page.getByTestId('session-run').count();
    await page.getByTestId('start-training').click();
    await expect.poll(() => page.getByTestId('session-run').count()).toBe(before + 1);
    return (await page.getByTestId('session-run').first().getAttribute('data-run-id'))!;
  }

  const sessionRun = (id: string) => page.locator(`[data-testid="session-run"][data-run-id="${id}"]`);

  it('refuses the page without the token', async () => {
    const response = await page.goto(url.replace(/\?token=.*/, ''));
    expect(response?.status()).toBe(401);
  });

  it('trains, shows progress, cancels one run, finishes another and shows its curves', async () => {
    await page.goto(url);
    // The token became a cookie and left the address bar (and so the history).
    expect(page.url()).toBe(new URL('/', url).href);
    await expect.poll(() => page.getByTestId('backend').textContent(), { timeout: 60_000 }).toMatch(/^wasm · CPU/);
    await page.screenshot({ path: path.join(shots, '1-runs-empty.png') });

    // Validation messages on the form.
    await page.getByTestId('nav-train').click();
    await page.locator('[name="epochs"]').fill('0');
    await expect.poll(() => page.getByTestId('error-epochs').textContent()).toMatch(/epochs must be a positive integer/);
    expect(await page.getByTestId('start-training').isDisabled()).toBe(true);
    await page.screenshot({ path: path.join(shots, '2-train-validation.png') });

    // A long run: watch its progress move, check the API answers meanwhile, then cancel it.
    const cancelled = await startRun({ dataset: 'mnist', model: 'cnn', epochs: '5', batchSize: '32' });
    const bar = sessionRun(cancelled).getByTestId('run-progress');
    await expect.poll(async () => Number(await bar.getAttribute('value')), { timeout: 60_000 }).toBeGreaterThan(0);
    const first = Number(await bar.getAttribute('value'));
    await expect.poll(async () => Number(await bar.getAttribute('value')), { timeout: 60_000 }).toBeGreaterThan(first);
    expect(await sessionRun(cancelled).getByTestId('run-eta').textContent()).toMatch(/^\d+(m\d\ds|s|h\d\dm)$/);
    const apiUrl = new URL('/api/call/listRuns', url);
    const during = await fetch(apiUrl, { method: 'POST', headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' }, body: '[]' });
    const runs = ((await during.json()) as { result: { id: string; status: string }[] }).result;
    expect(runs.find((r) => r.id === cancelled)?.status).toBe('running');
    await page.screenshot({ path: path.join(shots, '3-training-progress.png') });
    await sessionRun(cancelled).getByTestId('cancel-run').click();
    await expect.poll(() => sessionRun(cancelled).getAttribute('data-status'), { timeout: 30_000 }).toBe('cancelled');

    // A short run to the end.
    const finished = await startRun({ dataset: 'mnist', model: 'mlp', epochs: '2', batchSize: '128' });
    await expect.poll(() => sessionRun(finished).getAttribute('data-status'), { timeout: 120_000 }).toBe('finished');
    await page.screenshot({ path: path.join(shots, '4-train-finished.png') });

    // Both on the Runs page with the right status; the finished one has curves.
    await page.getByTestId('nav-runs').click();
    const row = (id: string) => page.locator(`[data-testid="runs-table"] tr[data-run-id="${id}"]`);
    expect(await row(cancelled).getAttribute('data-status')).toBe('cancelled');
    expect(await row(finished).getAttribute('data-status')).toBe('finished');
    await page.locator('thead th', { hasText: 'Status' }).click();
    expect(await page.locator('tbody tr').first().getAttribute('data-status')).toBe('cancelled');
    await row(finished).click();
    await expect.poll(() => page.getByTestId('run-details').textContent()).toMatch(/finished/);
    const curves = page.getByTestId('training-curves');
    await expect.poll(() => curves.locator('svg path').count()).toBeGreaterThan(4);
    expect(await curves.textContent()).toMatch(/test accuracy/);
    await page.screenshot({ path: path.join(shots, '5-run-details.png'), fullPage: true });
  });
});
