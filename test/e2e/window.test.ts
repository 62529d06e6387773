/**
 * The window end to end, in Debian's Chromium against `lethe serve`, over a catalog with
 * a real tiny study that the test makes first (MNIST MLP, FT and RAUL-UniDist-UPGrad,
 * two seeds, one-epoch schedules): the study page by URL (Retrain pinned with zero gaps,
 * sorting, per-seed rows), the Pareto front against the service's, the MIA histograms,
 * a RAUL-UPGrad run's traces, Compare, an evaluation's results, a run removed from the
 * command line leaving the window without a reload, and training from the Train page.
 * Every view is saved at 1440 and 900 px to test-output/e2e/; any console error fails
 * the test, every control must have an accessible name, no view may overflow at 900 px.
 * Needs `npm run build` (npm test does it) and /usr/bin/chromium (.ci/run installs it;
 * elsewhere the test is skipped without it, except in CI or under LETHE_REQUIRE_CHROMIUM=1,
 * where its absence fails: test/requirements.ts).
 */
import fs from 'node:fs';
import path from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { RunDetail } from '../../src/shared/catalog-types.js';
import type { ParetoAnalysis, StudyTable } from '../../src/shared/study-config.js';
import { makeTempDir } from '../helpers.js';
import { chromiumRequirement, choose, closeAll, expectNamedControls, launchChromium, lethe, serve, shoot, tinyMnistStudy, watchedPage, type Bridge } from './harness.js';

const chromiumBrowser = chromiumRequirement();

const STUDY = tinyMnistStudy('e2e-mnist', { description: "the window's end-to-end study", batchSize: 128 });

describe.skipIf(chromiumBrowser.skip)('window in Chromium over the HTTP bridge', () => {
  let dataDir: string;
  let server: Bridge['server'];
  let browser: Browser;
  let page: Page;
  let url: string;
  let base: string;
  let call: Bridge['call'];
  const consoleErrors: string[] = [];

  beforeAll(async () => {
    dataDir = makeTempDir('e2e');
    const studyFile = path.join(dataDir, 'e2e-study.yaml');
    fs.writeFileSync(studyFile, STUDY);
    await lethe(['study', 'run', studyFile, '--data-dir', dataDir]);
    ({ server, url, base, call } = await serve(dataDir));
    browser = await launchChromium();
    page = await watchedPage(browser, consoleErrors);
  }, 300_000);

  afterEach(() => {
    // Emptied as checked, so an error fails only the test that caused it.
    expect(consoleErrors.splice(0)).toEqual([]);
  });

  afterAll(() => closeAll(browser, server));

  const open = (route: string) => page.goto(`${base}/#${route}`);

  const roles = () => page.locator('[data-testid="study-table"] [data-role]');
  const labelsInOrder = () => roles().evaluateAll((cells) => cells.map((c) => `${c.getAttribute('data-role')}:${c.getAttribute('data-label')}`));

  it('refuses the page without the token', async () => {
    const response = await fetch(base);
    expect(response.status).toBe(401);
  });

  it('opens the study by URL: Original and Retrain pinned, Retrain with zero gaps, sorts by Avg. Gap, one row per seed', async () => {
    await page.goto(url);
    // The token became a cookie and left the address bar (and so the history).
    // (The window then routes / to its Runs page.)
    await expect.poll(() => page.url()).toBe(new URL('/#/runs', url).href);
    await expect.poll(() => page.getByTestId('backend').textContent(), { timeout: 60_000 }).toMatch(/^wasm · CPU/);
    const table = await call<StudyTable>('getStudyTable', 'e2e-mnist');
    await open('/studies/e2e-mnist');
    await expect.poll(async () => (await page.getByTestId('study-title').textContent())?.trim()).toBe('Study e2e-mnist');
    await expect.poll(labelsInOrder).toEqual(['original:Original', 'retrain:Retrain', 'method:FT', 'method:RAUL-UniDist-UPGrad']);
    const retrainGaps = await page.locator('[data-testid="study-table"] tr:has([data-role="retrain"]) [data-gap]').evaluateAll((cells) => cells.map((c) => c.getAttribute('data-gap')));
    expect(retrainGaps).toEqual(['0', '0', '0', '0']);
    expect(await page.getByTestId('no-retrain').count()).toBe(0);
    // The table's numbers are the service's: FT's UA cell starts with its mean.
    const ft = table.rows.find((r) => r.label === 'FT')!;
    expect(await page.locator('[data-testid="study-table"] tr:has([data-label="FT"]) [data-column="UA"]').textContent()).toContain(ft.metrics!.UA.mean.toFixed(2));
    await expectNamedControls(page);
    await shoot(page, 'study-table');

    // Sort by Avg. Gap with the mouse, then the other way with the keyboard; the pinned rows stay on top.
    const byGap = table.rows.filter((r) => r.role === 'method').sort((a, b) => a.avgGap! - b.avgGap!).map((r) => `method:${r.label}`);
    const header = page.locator('[data-testid="study-table"] th', { hasText: 'Avg. Gap' });
    await header.click();
    await expect.poll(labelsInOrder).toEqual(['original:Original', 'retrain:Retrain', ...byGap]);
    await header.focus();
    await page.keyboard.press('Enter');
    await expect.poll(labelsInOrder).toEqual(['original:Original', 'retrain:Retrain', ...[...byGap].reverse()]);

    await page.getByTestId('rows-mode').getByText('Per seed').click();
    await expect.poll(() => page.locator('[data-testid="study-table"] [data-role="method"]').count()).toBe(4);
    await shoot(page, 'study-table-per-seed');
  });

  it('switches the Pareto axes and highlights as many points as the service front', async () => {
    await page.getByTestId('tab-pareto').click();
    await expect.poll(() => page.getByTestId('pareto-chart').locator('svg').count()).toBe(1);
    await choose(page, page.getByTestId('pareto-x'), 'Avg. Gap (%) ↓ better');
    await choose(page, page.getByTestId('pareto-y'), 'RTE (s) ↓ better');
    expect(page.url()).toMatch(/x=avg_gap.*y=RTE|y=RTE.*x=avg_gap/);
    const analysis = await call<ParetoAnalysis>('getStudyPareto', { study: 'e2e-mnist', objectives: ['avg_gap', 'RTE'] });
    const front = analysis.points.filter((p) => !p.dominated).map((p) => p.runId.slice(0, 8)).sort();
    await expect.poll(async () => (await page.getByTestId('front-point').locator('a').allTextContents()).map((t) => t.trim()).sort()).toEqual(front);
    expect(await page.getByTestId('pareto-chart').getAttribute('aria-label')).toContain(`${front.length} of ${analysis.points.length} runs non-dominated`);
    await expectNamedControls(page);
    await shoot(page, 'study-pareto');
    // Reloading the linked URL shows the same axes.
    await page.reload();
    await expect.poll(async () => (await page.getByTestId('front-point').locator('a').allTextContents()).map((t) => t.trim()).sort()).toEqual(front);

    await page.getByTestId('tab-parallel').click();
    await expect.poll(() => page.getByTestId('parallel-chart').locator('svg path').count()).toBeGreaterThan(8);
    await page.getByRole('checkbox', { name: 'flip RTE' }).click();
    await expectNamedControls(page);
    await shoot(page, 'study-parallel');
  });

  it('shows one MIA histogram panel per chosen model with its KS distance to Retrain', async () => {
    await page.getByTestId('tab-mia').click();
    const panels = page.getByTestId('mia-panel');
    // By default: Original, Retrain and the first run of each method.
    await expect.poll(() => panels.count()).toBe(4);
    const ks = await page.getByTestId('mia-ks').allTextContents();
    expect(ks).toHaveLength(4);
    for (const value of ks) expect(value).toMatch(/^(0|1)\.\d{3}$/);
    expect(await panels.nth(1).locator('figcaption').textContent()).toMatch(/^Retrain: .*KS to Retrain 0\.000/);
    await expectNamedControls(page);
    await shoot(page, 'study-mia');
    await choose(page, page.getByTestId('mia-score'), 'loss −ln p_y (nats)');
    await expect.poll(() => panels.first().locator('svg text', { hasText: 'loss −ln p_y (nats)' }).count()).toBe(1);
    // KS is a distance between distributions: a monotone change of score (loss = -ln p_y) keeps it.
    expect(await page.getByTestId('mia-ks').allTextContents()).toEqual(ks);
  });

  it("opens a RAUL-UPGrad run and sees its losses, the aggregator's weights and the gradient cosines", async () => {
    await page.getByTestId('tab-table').click();
    await page.getByTestId('rows-mode').getByText('Per seed').click();
    await page.locator('[data-testid="study-table"] [data-label="RAUL-UniDist-UPGrad"] a').first().click();
    await expect.poll(() => page.getByTestId('run-details').locator('h2').textContent()).toMatch(/raul · upgrad · UniDist · finished/);
    for (const id of ['trace-losses', 'trace-weights', 'trace-cosines']) {
      await expect.poll(() => page.getByTestId(id).locator('svg path').count()).toBeGreaterThan(3);
    }
    expect(await page.getByTestId('trace-cosines').getAttribute('aria-label')).toMatch(/\d+ of \d+ steps conflict/);
    expect(await page.getByTestId('trace-weights').getAttribute('aria-label')).toMatch(/Aggregator weights per step/);
    // Its evaluation's numbers are on the page too.
    expect(await page.getByTestId('evaluation-results').textContent()).toMatch(/UA \(%\).*RA \(%\).*TA \(%\).*MIA-efficacy \(%\)/);
    await expectNamedControls(page);
    await shoot(page, 'run-raul-upgrad');
  });

  it('compares two runs and shows only the config keys that differ', async () => {
    const table = await call<StudyTable>('getStudyTable', 'e2e-mnist');
    const [first, second] = table.rows.find((r) => r.label === 'RAUL-UniDist-UPGrad')!.runs;
    await open('/runs');
    for (const id of [first!.runId, second!.runId]) {
      await page.locator(`[data-testid="runs-table"] tr:has([data-run-id="${id}"]) [role="checkbox"], [data-testid="runs-table"] tr:has([data-run-id="${id}"]) input[type="checkbox"]`).first().click();
    }
    await expectNamedControls(page);
    await shoot(page, 'runs');
    await page.getByTestId('compare-picked').click();
    await expect.poll(() => page.getByTestId('config-row').count()).toBeGreaterThan(0);
    expect(await page.getByTestId('config-row').evaluateAll((rows) => rows.map((r) => r.getAttribute('data-key')))).toEqual(['seed']);
    await page.getByTestId('compare-all-keys').click();
    await expect.poll(() => page.getByTestId('config-row').count()).toBeGreaterThan(10);
    await expect.poll(() => page.getByTestId('compare-curves').locator('svg path').count()).toBeGreaterThan(3);
    await expectNamedControls(page);
    await shoot(page, 'compare');
  });

  it("shows an evaluation's UA, RA, TA and MIA and links it to the model it evaluated", async () => {
    const table = await call<StudyTable>('getStudyTable', 'e2e-mnist');
    const retrain = table.rows.find((r) => r.role === 'retrain')!.runs[0]!;
    await open(`/runs/${retrain.evaluationId}`);
    await expect.poll(() => page.getByTestId('evaluation-results').textContent()).toContain(retrain.metrics.UA.value.toFixed(2));
    expect(await page.getByTestId('evaluation-results').textContent()).toContain(retrain.metrics.MIA.value.toFixed(2));
    await expectNamedControls(page);
    await shoot(page, 'run-evaluation');
    await page.getByTestId('evaluated-model').getByRole('link').click();
    await expect.poll(() => page.url()).toContain(`/runs/${retrain.runId}`);
    // Retrain's own page: its per-step loss on a step axis, and its evaluation's numbers.
    await expect.poll(() => page.getByTestId('trace-losses').getAttribute('aria-label')).toMatch(/^Objective losses per step/);
    expect(await page.getByTestId('evaluation-results').textContent()).toContain(retrain.metrics.UA.value.toFixed(2));
    await shoot(page, 'run-retrain');
  });

  it('drops a run removed from the command line from Runs and from its study without a reload', async () => {
    const table = await call<StudyTable>('getStudyTable', 'e2e-mnist');
    const gone = table.rows.find((r) => r.label === 'FT')!.runs[1]!;
    await open('/runs');
    const row = page.locator(`[data-testid="runs-table"] [data-run-id="${gone.runId}"]`);
    await expect.poll(() => row.count()).toBe(1);
    // The study page is open when the command runs: its table follows, and so does the runs list behind it.
    await open('/studies/e2e-mnist');
    const repeats = page.locator('[data-testid="study-table"] tr:has([data-label="FT"]) [data-column="repeats"]');
    await expect.poll(async () => (await repeats.textContent())?.trim()).toBe('2/2');
    await lethe(['runs', 'rm', gone.runId, '--data-dir', dataDir]);
    await expect.poll(async () => (await repeats.textContent())?.trim(), { timeout: 15_000 }).toBe('1/2');
    await page.getByTestId('nav-runs').click();
    await expect.poll(() => page.locator('[data-testid="runs-table"] [data-run-id]').count()).toBeGreaterThan(0);
    expect(await row.count()).toBe(0);
    await page.getByTestId('nav-studies').click();
    await expectNamedControls(page);
    await shoot(page, 'studies');
  });

  it('trains from the Train page, shows progress, cancels one run and finishes another', async () => {
    const sessionRun = (id: string) => page.locator(`[data-testid="session-run"][data-run-id="${id}"]`);
    /** Types into a PrimeVue number field, which takes the value when it loses focus. */
    async function enterNumber(label: string, value: string): Promise<void> {
      const field = page.getByRole('spinbutton', { name: label, exact: true });
      await field.fill(value);
      await field.blur();
    }
    async function startRun(fields: { dataset: string; model: string; epochs: string; batchSize: string }): Promise<string> {
      await page.getByTestId('nav-train').click();
      await choose(page, page.getByTestId('train-dataset'), new RegExp(`^${fields.dataset}$`));
      await choose(page, page.getByTestId('train-model'), new RegExp(`^${fields.model} — `));
      await enterNumber('Epochs', fields.epochs);
      await enterNumber('Batch size', fields.batchSize);
      const before = await page.getByTestId('session-run').count();
      await page.getByTestId('start-training').click();
      await expect.poll(() => page.getByTestId('session-run').count()).toBe(before + 1);
      return (await page.getByTestId('session-run').first().getAttribute('data-run-id'))!;
    }

    await page.getByTestId('nav-train').click();
    await enterNumber('Epochs', '0');
    await expect.poll(() => page.getByTestId('error-epochs').textContent()).toMatch(/epochs must be a positive integer/);
    expect(await page.getByTestId('start-training').isDisabled()).toBe(true);
    await expectNamedControls(page);
    await shoot(page, 'train-validation');

    // A long run: watch its progress move, check the API answers meanwhile, then cancel it.
    const cancelled = await startRun({ dataset: 'mnist', model: 'cnn', epochs: '5', batchSize: '32' });
    const bar = sessionRun(cancelled).getByTestId('run-progress');
    await expect.poll(async () => Number(await bar.getAttribute('aria-valuenow')), { timeout: 60_000 }).toBeGreaterThan(0);
    const first = Number(await bar.getAttribute('aria-valuenow'));
    await expect.poll(async () => Number(await bar.getAttribute('aria-valuenow')), { timeout: 60_000 }).toBeGreaterThan(first);
    // formatDuration: tenths under ten seconds (the small CNN's 5 epochs can be that close to done).
    expect(await sessionRun(cancelled).getByTestId('run-eta').textContent()).toMatch(/^(\d\.\ds|\d+(m\d\ds|s|h\d\dm))$/);
    const runs = await call<{ id: string; status: string }[]>('listRuns');
    expect(runs.find((r) => r.id === cancelled)?.status).toBe('running');
    await sessionRun(cancelled).getByTestId('cancel-run').click();
    await expect.poll(() => sessionRun(cancelled).getAttribute('data-status'), { timeout: 30_000 }).toBe('cancelled');

    const finished = await startRun({ dataset: 'mnist', model: 'mlp', epochs: '2', batchSize: '128' });
    await expect.poll(() => sessionRun(finished).getAttribute('data-status'), { timeout: 120_000 }).toBe('finished');

    // Both on the Runs page with their status; the finished one opens on its own page with per-epoch curves.
    await page.getByTestId('nav-runs').click();
    const link = (id: string) => page.locator(`[data-testid="runs-table"] [data-run-id="${id}"]`);
    expect(await link(cancelled).getAttribute('data-status')).toBe('cancelled');
    expect(await link(finished).getAttribute('data-status')).toBe('finished');
    await link(finished).click();
    await expect.poll(() => page.getByTestId('run-details').locator('h2').textContent()).toMatch(/finished/);
    const curves = page.getByTestId('training-curves');
    await expect.poll(() => curves.locator('svg path').count()).toBeGreaterThan(4);
    expect(await curves.getAttribute('aria-label')).toMatch(/^Training per epoch/);
    const detail = await call<RunDetail>('getRun', finished);
    expect(detail.metrics.test_accuracy!.map((p) => p.step)).toEqual([1, 2]);
    await shoot(page, 'run-train');
  });
});
