/**
 * Running experiments from the window, end to end in Debian's Chromium against `lethe
 * serve`, over a catalog holding a tiny trained MNIST MLP and a 5 % forget set (made
 * through the service first): a RAUL + UPGrad run started from the Unlearn form and
 * watched to its end (live losses and weights, then its run page), a long one cancelled
 * from the jobs panel, a two-entry study built in the form, saved as YAML, run to the
 * end and found on its study page, loaded back and resumed, and invalid values refused next to their fields with
 * the catalog and the data directory unchanged. Screenshots at 1440 and 900 px go to
 * test-output/e2e/; any console error fails the test, every control must have a name.
 * Needs `npm run build` and /usr/bin/chromium (see window.test.ts).
 */
import fs from 'node:fs';
import path from 'node:path';
import type { Browser, Locator, Page } from 'playwright-core';
import YAML from 'yaml';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { ForgetSetRecord, RunDetail, RunSummary, StudyRecord } from '../../src/shared/catalog-types.js';
import type { ForgetSetOutcome } from '../../src/shared/lethe-api.js';
import type { StudyTable } from '../../src/shared/study-config.js';
import { makeTempDir } from '../helpers.js';
import { chromiumRequirement, choose, closeAll, expectNamedControls, launchChromium, serve, shoot, watchedPage, type Bridge } from './harness.js';

const chromiumBrowser = chromiumRequirement();
const ORIGINAL = { dataset: 'mnist', model: 'mlp', epochs: 1, batchSize: 256, lr: 0.05, seed: 0 };

describe.skipIf(chromiumBrowser.skip)('running experiments from the window', () => {
  let dataDir: string;
  let server: Bridge['server'];
  let browser: Browser;
  let page: Page;
  let url: string;
  let base: string;
  let call: Bridge['call'];
  let original: RunSummary;
  let forgetSet: ForgetSetRecord;
  const consoleErrors: string[] = [];

  /** The run once it has ended (setup has no expect.poll). */
  async function ended(id: string): Promise<RunDetail> {
    for (;;) {
      const run = await call<RunDetail>('getRun', id);
      if (run.status !== 'queued' && run.status !== 'running') return run;
      await new Promise((resolve) => setTimeout(resolve, 200));
    }
  }

  beforeAll(async () => {
    dataDir = makeTempDir('e2e-experiments');
    ({ server, url, base, call } = await serve(dataDir));
    // The tiny original and its forget set, through the service as any door would.
    original = await ended((await call<RunSummary>('startTraining', ORIGINAL)).id);
    expect(original.status).toBe('finished');
    ({ forgetSet } = await call<ForgetSetOutcome>('createForgetSet', { dataset: 'mnist', rule: { kind: 'random', percent: 5, seed: 1 } }));
    browser = await launchChromium();
    page = await watchedPage(browser, consoleErrors);
    await page.goto(url);
    await page.getByTestId('backend').getByText(/^wasm · CPU/).waitFor({ timeout: 60_000 });
  }, 300_000);

  afterEach(() => {
    expect(consoleErrors.splice(0)).toEqual([]);
  });

  afterAll(() => closeAll(browser, server));

  /** The catalog as the service lists it, and every file of the data directory but the database's own. */
  async function snapshot(): Promise<unknown> {
    const files = fs
      .readdirSync(dataDir, { recursive: true, withFileTypes: true })
      .filter((e) => e.isFile() && !e.name.startsWith('catalog.sqlite'))
      .map((e) => {
        const file = path.join(e.parentPath, e.name);
        const stat = fs.statSync(file);
        return `${path.relative(dataDir, file)}:${stat.size}:${stat.mtimeMs}`;
      })
      .sort();
    const runs = (await call<RunSummary[]>('listRuns')).map((r) => `${r.id}:${r.status}`);
    return { files, runs, forgetSets: await call<ForgetSetRecord[]>('listForgetSets'), studies: await call<StudyRecord[]>('listStudies') };
  }

  const field = (name: string) => page.locator(`[name="${name}"]`);
  /** The option a Select shows as chosen. */
  const chosen = (combobox: Locator) => combobox.textContent();
  const closeJobs = () => page.locator('.p-drawer').getByRole('button', { name: 'Close' }).click();

  it('starts a RAUL + UPGrad run from the Unlearn form and watches it finish, then opens its run page', async () => {
    await page.getByTestId('nav-unlearn').click();
    // The newest (only) original is chosen, shown by its dataset, model, accuracy and hash.
    const [newest] = await call<{ hash: string }[]>('listOriginals');
    expect(newest!.hash).toMatch(/^[0-9a-f]{64}$/);
    const checkpoint = page.getByRole('combobox', { name: 'Original checkpoint' });
    const accuracy = (100 * original.latestMetrics.test_accuracy!).toFixed(2);
    await expect.poll(() => chosen(checkpoint)).toBe(`mnist · mlp · test ${accuracy}% · ${newest!.hash.slice(0, 12)}`);
    expect(await chosen(page.getByRole('combobox', { name: 'Forget set' }))).toMatch(new RegExp(`^#${forgetSet.id} `));
    const methodBox = page.getByRole('combobox', { name: 'Method' });
    expect(await chosen(methodBox)).toBe('raul');
    expect(await chosen(page.getByRole('combobox', { name: 'Aggregator' }))).toBe('upgrad');
    // Every registered method is offered with its description; RAUL's own parameters are there.
    await methodBox.click();
    expect(await page.getByRole('listbox').getByRole('option').allTextContents()).toEqual(['retrain', 'ft', 'ga', 'rl', 'salun', 'neggrad+', 'l1-sparse', 'scrub', 'iu', 'bld', 'raul']);
    await page.keyboard.press('Escape');
    expect(await page.getByTestId('method-description').textContent()).toMatch(/^Reference-Aligned Unlearning/);
    expect(await chosen(field('reference'))).toBe('uniform');
    expect(await field('maskRatio').count()).toBe(0);
    await choose(page, methodBox, 'salun');
    expect(await field('maskRatio').inputValue()).toBe('0.5');
    await choose(page, methodBox, 'raul');
    await field('epochs').fill('2');
    await field('lr').fill('0.01');
    await expectNamedControls(page);
    await shoot(page, 'unlearn-form');

    await page.getByTestId('start-unlearning').click();
    const live = page.getByTestId('unlearn-run');
    await expect.poll(() => live.getAttribute('data-status'), { timeout: 120_000 }).toBe('finished');
    await expect.poll(() => page.getByTestId('live-losses').locator('svg path').count()).toBeGreaterThan(3);
    expect(await page.getByTestId('live-weights').getAttribute('aria-label')).toMatch(/^Aggregator weights per step/);
    expect(await page.getByTestId('unlearn-result').textContent()).toMatch(/forget accuracy \d+\.\d\d% → \d+\.\d\d%/);
    await expectNamedControls(page);
    await shoot(page, 'unlearn-finished');

    await page.getByTestId('unlearn-run-link').click();
    await expect.poll(() => page.getByTestId('run-details').locator('h2').textContent()).toMatch(/raul · upgrad · UniDist · finished/);
    const runId = page.url().split('/runs/')[1]!;
    const detail = await call<RunDetail>('getRun', runId);
    expect(detail).toMatchObject({ kind: 'unlearn', method: 'raul', aggregator: 'upgrad', status: 'finished' });
    expect(detail.config).toMatchObject({ checkpoint: newest!.hash, forgetSet: forgetSet.id, epochs: 2, lr: 0.01, reference: 'uniform' });
    expect(detail.metrics.weight_forget!.length).toBeGreaterThan(1);
  });

  it('follows a long run in the jobs panel and cancels it there', async () => {
    await page.getByTestId('nav-unlearn').click();
    await field('epochs').fill('400');
    await page.getByTestId('start-unlearning').click();
    await expect.poll(() => page.getByTestId('live-losses').count(), { timeout: 60_000 }).toBe(1);
    await page.getByTestId('jobs-toggle').click();
    const job = page.getByTestId('job');
    await expect.poll(() => job.getAttribute('data-kind')).toBe('unlearn');
    await expect.poll(async () => Number(await job.getByRole('progressbar').getAttribute('aria-valuenow')), { timeout: 30_000 }).toBeGreaterThan(0);
    expect(await job.textContent()).toMatch(/running · \d+% · ETA (\d\.\ds|\d+(m\d\ds|s|h\d\dm))/);
    await expectNamedControls(page);
    await shoot(page, 'jobs-panel-running');
    await page.getByTestId('job-cancel').click();
    await expect.poll(() => page.getByTestId('no-jobs').count(), { timeout: 30_000 }).toBe(1);
    await closeJobs();
    await expect.poll(() => page.getByTestId('unlearn-run').getAttribute('data-status')).toBe('cancelled');
  });

  it('refuses invalid values next to their fields and leaves the catalog and data directory unchanged', async () => {
    const before = await snapshot();
    await page.getByTestId('nav-unlearn').click();
    await field('momentum').fill('1.5');
    await field('batchSize').fill('0');
    await expect.poll(() => page.getByTestId('error-momentum').textContent()).toBe('momentum must be in [0, 1)');
    expect(await page.getByTestId('error-batchSize').textContent()).toBe('batch size must be a positive integer');
    expect(await page.getByTestId('start-unlearning').isDisabled()).toBe(true);
    await shoot(page, 'unlearn-invalid');

    await page.getByTestId('nav-study-builder').click();
    await field('name').fill('');
    await field('methods-0-lr').fill('0.01, -1');
    await field('forget-percent').fill('120');
    await expect.poll(() => page.getByTestId('error-name').textContent()).toBe('name the study');
    expect(await page.getByTestId('error-methods-0-lr').textContent()).toBe('learning rate must be finite and positive');
    expect(await page.getByTestId('error-forget-percent').textContent()).toBe('percentage must be in (0, 100)');
    expect(await page.getByTestId('run-study').isDisabled()).toBe(true);
    expect(await page.getByTestId('save-study').isDisabled()).toBe(true);
    await expectNamedControls(page);
    await shoot(page, 'study-builder-invalid');
    // Valid for the schema but refused by the service: a relative file to save to, classes the dataset lacks.
    await field('name').fill('refused');
    await field('methods-0-lr').fill('0.01');
    await field('forget-percent').fill('5');
    await field('study-file').fill('studies/x.yaml');
    await page.getByTestId('save-study').click();
    await expect.poll(() => page.getByTestId('study-error').textContent()).toBe("the study file must be an absolute path, got 'studies/x.yaml'");
    await field('study-file').fill('');
    await choose(page, field('forget-kind'), 'whole classes');
    await field('forget-classes').fill('42');
    await page.getByTestId('run-study').click();
    await expect.poll(() => page.getByTestId('error-forget').textContent(), { timeout: 60_000 }).toBe('class 42 does not exist; classes are 0..9 (0, 1, 2, 3, 4, 5, 6, 7, 8, 9)');
    expect(await page.getByTestId('study-progress').count()).toBe(0);
    await shoot(page, 'study-builder-refused');
    expect(await snapshot()).toEqual(before);
    // Chromium logs each refused call (HTTP 400) as a console error: exactly the two refusals above.
    expect(consoleErrors.splice(0)).toEqual(Array(2).fill('Failed to load resource: the server responded with a status of 400 (Bad Request)'));
  });

  it('builds a two-entry study in the form, saves it as YAML, runs it to the end and finds its table on the study page', async () => {
    await page.goto(`${base}/#/runs`);
    await page.getByTestId('nav-study-builder').click();
    await field('name').fill('e2e-built');
    await choose(page, field('dataset'), 'mnist');
    await choose(page, field('model'), 'mlp');
    await field('original-epochs').fill('1');
    await field('original-batchSize').fill('256');
    await field('forget-percent').fill('5');
    await field('forget-seed').fill('1');
    await field('seeds').fill('1');
    for (const check of ['relearn', 'boundary', 'pgd']) await field(`check-${check}`).uncheck();
    await field('methods-0-label').fill('RAUL-UPGrad');
    await field('methods-0-epochs').fill('1');
    await page.getByTestId('add-entry').click();
    await field('methods-1-label').fill('FT');
    await choose(page, field('methods-1-method'), 'ft');
    await field('methods-1-epochs').fill('1');
    const expected = {
      name: 'e2e-built',
      dataset: 'mnist',
      model: 'mlp',
      original: { epochs: 1, batchSize: 256, lr: 0.05, seed: 0 },
      forget: { kind: 'random', percent: 5, seed: 1 },
      seeds: [1],
      evaluation: { relearn: false, boundary: false, pgd: false },
      methods: [
        { label: 'RAUL-UPGrad', method: 'raul', aggregator: 'upgrad', epochs: 1, reference: 'uniform', frozenReference: false },
        { label: 'FT', method: 'ft', epochs: 1 },
      ],
    };
    await expect.poll(async () => YAML.parse((await page.getByTestId('study-yaml').textContent())!)).toEqual(expected);
    await expectNamedControls(page);
    await shoot(page, 'study-builder');

    await page.getByTestId('save-study').click();
    const file = path.join(dataDir, 'studies', 'e2e-built.yaml');
    await expect.poll(async () => (await page.getByTestId('study-saved').textContent())?.trim()).toBe(`Saved to ${file}`);
    expect(YAML.parse(fs.readFileSync(file, 'utf8'))).toEqual(expected);

    await page.getByTestId('run-study').click();
    await page.getByTestId('jobs-toggle').click();
    const studyJob = page.locator('[data-testid="job"][data-kind="study"]');
    // Past the forget set and the (skipped) original: the study is recorded.
    await expect.poll(async () => Number(await studyJob.getByRole('progressbar').getAttribute('aria-valuenow')), { timeout: 30_000 }).toBeGreaterThan(0);
    await shoot(page, 'jobs-panel-study');
    await closeJobs();

    // The study page, open in another tab meanwhile, fills in as the runs finish, without a reload.
    const watcher = await watchedPage(browser, consoleErrors);
    await watcher.goto(url);
    await watcher.goto(`${base}/#/studies/e2e-built`);
    const repeats = (label: string) => watcher.locator(`[data-testid="study-table"] tr:has([data-label="${label}"]) [data-column="repeats"]`).textContent();
    await expect.poll(async () => (await repeats('FT'))?.trim(), { timeout: 30_000 }).toBe('0/1');
    await expect.poll(async () => (await repeats('FT'))?.trim(), { timeout: 240_000 }).toBe('1/1');
    await watcher.context().close();
    await expect.poll(() => page.getByTestId('study-outcome').textContent(), { timeout: 240_000 }).toMatch(/runs made, .* 0 failed/);
    // The original is the one trained before (same recipe): skipped, not trained again.
    expect(await page.getByTestId('study-outcome').textContent()).toMatch(/, [1-9]\d* already in the catalog/);
    await shoot(page, 'study-builder-done');

    await page.getByTestId('study-link').click();
    await expect.poll(async () => (await page.getByTestId('study-title').textContent())?.trim()).toBe('Study e2e-built');
    const labels = () => page.locator('[data-testid="study-table"] [data-role]').evaluateAll((cells) => cells.map((c) => `${c.getAttribute('data-role')}:${c.getAttribute('data-label')}`));
    await expect.poll(labels).toEqual(['original:Original', 'retrain:Retrain', 'method:RAUL-UPGrad', 'method:FT']);
    const table = await call<StudyTable>('getStudyTable', 'e2e-built');
    expect(table.rows.map((r) => `${r.label}:${r.repeats}/${r.planned}`)).toEqual(['Original:1/1', 'Retrain:1/1', 'RAUL-UPGrad:1/1', 'FT:1/1']);
    expect(table.rows.find((r) => r.role === 'original')!.runs[0]!.runId).toBe(original.id);
    await expectNamedControls(page);
    await shoot(page, 'study-built-table');

    // Loaded back into the form from the catalog, running it again resumes it: everything is there already.
    await page.getByTestId('nav-study-builder').click();
    await choose(page, page.getByRole('combobox', { name: 'Load a recorded study' }), /^e2e-built \(\d+ runs\)$/);
    const loaded = YAML.parse((await page.getByTestId('study-yaml').textContent())!) as Record<string, unknown>;
    expect(loaded).toMatchObject({ ...expected, methods: [expected.methods[0], { label: 'FT', method: 'ft', epochs: 1 }] });
    await page.getByTestId('run-study').click();
    await expect.poll(async () => (await page.getByTestId('study-outcome').textContent())?.trim(), { timeout: 60_000 }).toBe('Done: 0 runs made, 8 already in the catalog, 0 failed.');
  });
});
