/**
 * The study page of a language-model study in Chromium over the HTTP bridge: a tiny
 * study made first through the CLI (transformer-tiny, 20 people x 2 facts, GA and NPO,
 * two seeds, the relearning attack in its evaluation), then its TOFU table (the service's
 * numbers, Retrain's forget quality 1, the relearning columns)
 * and its front of forget quality against model utility, with screenshots in
 * test-output/e2e/. Needs the built renderer (npm run build) and Chromium.
 */
import fs from 'node:fs';
import path from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { LmStudyTable, ParetoAnalysis } from '../../src/shared/study-config.js';
import { makeTempDir } from '../helpers.js';
import { chromiumRequirement, closeAll, launchChromium, lethe, serve, shoot, shots, watchedPage, type Bridge } from './harness.js';

const chromiumBrowser = chromiumRequirement();

const STUDY = `name: e2e-facts
dataset: facts
model: transformer-tiny
original: { people: 20, attributes: 2, generalSentences: 4, epochs: 2, batchSize: 16, lr: 0.01, seed: 0 }
forget: { split: forget05 }
seeds: [1, 2]
evaluation: { relearn: { steps: 2, batchSize: 1 } }
methods:
  - { label: GA, method: ga, steps: 3, batchSize: 2, lr: 0.05 }
  - { label: NPO-UPGrad, method: npo, aggregator: upgrad, steps: 2, batchSize: 2 }
`;

describe.skipIf(chromiumBrowser.skip)('a language-model study in the window', () => {
  let server: Bridge['server'];
  let browser: Browser;
  let page: Page;
  let base: string;
  let call: Bridge['call'];
  const consoleErrors: string[] = [];

  beforeAll(async () => {
    const dataDir = makeTempDir('e2e-lm');
    const studyFile = path.join(dataDir, 'e2e-facts.yaml');
    fs.writeFileSync(studyFile, STUDY);
    await lethe(['study', 'run', studyFile, '--data-dir', dataDir]);
    let url: string;
    ({ server, url, base, call } = await serve(dataDir));
    browser = await launchChromium();
    page = await watchedPage(browser, consoleErrors);
    await page.goto(url);
  }, 600_000);

  afterAll(() => closeAll(browser, server));

  it("shows TOFU's table with the service's numbers, then the front of forget quality against model utility", async () => {
    const table = await call<LmStudyTable>('getStudyTable', 'e2e-facts');
    await page.goto(`${base}/#/studies/e2e-facts`);
    const lmTable = page.getByTestId('lm-study-table');
    await expect.poll(() => lmTable.count()).toBe(1);
    expect((await lmTable.locator('th').allTextContents()).map((t) => t.trim())).toEqual(['Method', 'Forget quality', 'Model utility', 'Forget prob.', 'Forget ROUGE', 'Retain prob.', 'Retain ROUGE', 'Para. prob.', 'Para. ROUGE', 'Privacy leak', 'Perplexity', 'Relearn prob.', 'Relearn ROUGE', 'Recovered P', 'RTE (s)', 'n']);
    // The relearning columns are explained under the table.
    expect(await page.getByTestId('lm-relearning-note').textContent()).toContain('Recovered P = the probability the attack brought back');
    const rows = await lmTable.locator('tbody tr').evaluateAll((trs) => trs.map((tr) => Array.from(tr.querySelectorAll('td'), (td) => (td as { textContent: string | null }).textContent!.replace(/\s+/g, ' ').trim())));
    expect(rows.map((r) => r[0])).toEqual(['Original', 'Retrain', 'GA', 'NPO-UPGrad [upgrad]']);
    expect(rows[1]![1]).toBe('1.00');
    const npo = table.rows[3]!.metrics!.model_utility;
    expect(rows[3]![2]).toBe(`${npo.mean.toFixed(2)} ± ${npo.std < 0.01 && npo.std !== 0 ? npo.std.toExponential(1) : npo.std.toFixed(2)}`);
    // The classifier's tabs (all objectives, MIA histograms) are not offered.
    expect(await page.getByTestId('tab-mia').count()).toBe(0);
    await shoot(page, 'lm-study-table');

    await page.getByTestId('tab-pareto').click();
    const analysis = await call<ParetoAnalysis>('getStudyPareto', { study: 'e2e-facts', objectives: ['forget_quality', 'model_utility'] });
    await expect.poll(() => page.getByTestId('pareto-chart').locator('svg').count()).toBe(1);
    expect(await page.getByTestId('pareto-x').textContent()).toContain('Forget quality ↑ better');
    expect(await page.getByTestId('pareto-y').textContent()).toContain('Model utility ↑ better');
    const front = analysis.points.filter((p) => !p.dominated).map((p) => p.runId.slice(0, 8)).sort();
    await expect.poll(async () => (await page.getByTestId('front-point').locator('a').allTextContents()).map((t) => t.trim()).sort()).toEqual(front);
    await page.waitForTimeout(500);
    await page.screenshot({ path: path.join(shots, 'lm-study-pareto-1440.png'), fullPage: true });
    expect(consoleErrors).toEqual([]);
  });
});
