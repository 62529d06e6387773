/**
 * The study page's "Export report" end to end, in Debian's Chromium against `lethe serve`,
 * over a real tiny study (MNIST MLP, FT and RAUL-UniDist-UPGrad, two seeds, one-epoch
 * schedules): the button's PDF download is the report `lethe report --pdf` prints (same
 * pages, same text but for the time it was made), the HTML and CSV downloads are the
 * command line's files, and "Copy LaTeX table" puts the table on the clipboard. The
 * downloads are kept in test-output/e2e-report/. Needs `npm run build` and /usr/bin/chromium.
 */
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { makeTempDir } from '../helpers.js';
import { chromiumRequirement, closeAll, launchChromium, lethe, serve, tinyMnistStudy, watchedPage, type Bridge } from './harness.js';

const chromiumBrowser = chromiumRequirement();
const output = path.resolve('test-output/e2e-report');

const STUDY = tinyMnistStudy('e2e-report', { batchSize: 256 });

/** A report's text without the times it was made (the only thing two exports of one study differ in). */
const withoutTimes = (text: string) => text.replace(/\d{4}-\d\d-\d\d \d\d:\d\d:\d\d UTC/g, 'TIME');
const pdfText = (file: string) => withoutTimes(execFileSync('pdftotext', ['-layout', file, '-'], { encoding: 'utf8' }));
const pageCount = (file: string) => Number(/Pages:\s+(\d+)/.exec(execFileSync('pdfinfo', [file], { encoding: 'utf8' }))![1]);

describe.skipIf(chromiumBrowser.skip)('Export report on the study page, in Chromium over the HTTP bridge', () => {
  let dataDir: string;
  let server: Bridge['server'];
  let browser: Browser;
  let page: Page;
  const pageErrors: string[] = [];

  beforeAll(async () => {
    fs.rmSync(output, { recursive: true, force: true });
    fs.mkdirSync(output, { recursive: true });
    dataDir = makeTempDir('e2e-report');
    const studyFile = path.join(dataDir, 'study.yaml');
    fs.writeFileSync(studyFile, STUDY);
    await lethe(['study', 'run', studyFile, '--data-dir', dataDir]);
    // The command line's report, to compare the window's downloads with.
    await lethe(['report', 'e2e-report', '--data-dir', dataDir, '--pdf', path.join(output, 'cli.pdf'), '--html', path.join(output, 'cli.html'), '--csv', path.join(output, 'cli.csv')]);
    let url: string;
    let base: string;
    ({ server, url, base } = await serve(dataDir));
    browser = await launchChromium();
    page = await watchedPage(browser, pageErrors, { acceptDownloads: true });
    await page.context().grantPermissions(['clipboard-read', 'clipboard-write'], { origin: base });
    await page.goto(url);
    await page.goto(`${base}/#/studies/e2e-report`);
    await page.getByTestId('study-title').filter({ hasText: 'Study e2e-report' }).waitFor({ timeout: 30_000 });
  }, 600_000);

  afterAll(() => closeAll(browser, server));

  async function downloaded(click: () => Promise<void>, name: string): Promise<string> {
    const [download] = await Promise.all([page.waitForEvent('download', { timeout: 120_000 }), click()]);
    expect(download.suggestedFilename()).toBe(name);
    const file = path.join(output, `window-${name}`);
    await download.saveAs(file);
    return file;
  }

  const more = async (item: string) => {
    await page.getByRole('button', { name: 'More report formats' }).click();
    await page.getByRole('menuitem', { name: item }).click();
  };

  it('downloads the PDF report that lethe report prints', async () => {
    const file = await downloaded(() => page.getByRole('button', { name: 'Export report as PDF' }).click(), 'e2e-report-report.pdf');
    const cli = path.join(output, 'cli.pdf');
    expect(pageCount(file)).toBeGreaterThan(1);
    expect(pageCount(file)).toBe(pageCount(cli));
    expect(pdfText(file)).toBe(pdfText(cli));
    await expect.poll(async () => page.getByTestId('export-report-status').textContent()).toBe('Saved e2e-report-report.pdf');
    await page.screenshot({ path: path.join(output, 'study-page-export.png') });
    expect(pageErrors).toEqual([]);
  }, 180_000);

  it('downloads the HTML and CSV of the command line, and copies the LaTeX table', async () => {
    const html = await downloaded(() => more('HTML report'), 'e2e-report-report.html');
    expect(withoutTimes(fs.readFileSync(html, 'utf8'))).toBe(withoutTimes(fs.readFileSync(path.join(output, 'cli.html'), 'utf8')));
    const csv = await downloaded(() => more('Runs as CSV'), 'e2e-report-report.csv');
    expect(fs.readFileSync(csv, 'utf8')).toBe(fs.readFileSync(path.join(output, 'cli.csv'), 'utf8'));
    await more('Copy LaTeX table');
    await expect.poll(async () => page.getByTestId('export-report-status').textContent()).toBe('LaTeX table copied');
    const { stdout: table } = await lethe(['study', 'show', 'e2e-report', '--format', 'latex', '--data-dir', dataDir]);
    expect(await page.evaluate('navigator.clipboard.readText()')).toBe(table.trimEnd());
    expect(pageErrors).toEqual([]);
  }, 180_000);
});
