/**
 * What the window waits for, on a synthetic catalog with a study of 504 runs (10 method
 * entries x 25 seeds, each run with its evaluation, plus Original and Retrain):
 *
 * 1. study page data: getStudyTable + getStudyPareto over the HTTP bridge, and the
 *    Pareto and parallel-coordinates charts built and rendered to SVG (ECharts SSR);
 *    with Chromium and a built window (npm run build), also the page in a browser from
 *    navigation to the table's rows and the Pareto chart drawn;
 * 2. histogram counts over 60,000 samples (forget + test + retain of one evaluation),
 *    and the page's default 12 panels;
 * 3. API latency (p50 / p95 / max) of listRuns, getRun and getStudyTable over the
 *    bridge while a real training job runs in the engine process.
 *
 * Targets from issue 13: page data < 1 s, histograms < 200 ms, p95 < 50 ms during
 * training. One JSON line per figure. Run: npm run bench (or node --import tsx bench/window-data.ts)
 */
import fs from 'node:fs';
import type { AddressInfo } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import * as echarts from 'echarts';
import { EngineClient, forkTransport } from '../src/main/app/engine-client.js';
import { LetheService } from '../src/main/app/lethe-service.js';
import { Catalog } from '../src/main/catalog/catalog.js';
import { readScoreFile } from '../src/main/engine/evaluation/score-file.js';
import { histogramCounts, ksDistance, sharedEdges } from '../src/main/app/score-histograms.js';
import { createBridge } from '../src/main/server.js';
import { methodColors } from '../src/shared/charts/method-colors.js';
import { parallelCoordinatesOption } from '../src/shared/charts/parallel-coordinates.js';
import { paretoScatterOption } from '../src/shared/charts/pareto-scatter.js';
import { PARETO_OBJECTIVES, type ParetoAnalysis, type StudyTable } from '../src/shared/study-config.js';
import { writeFakeStudy } from './fake-study.js';

const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'lethe-bench-window-'));
const catalog = Catalog.open(dataDir);
const { config, scoreFile } = writeFakeStudy(catalog, dataDir, { name: 'bench-500', seeds: 25, randomSeed: 13 });
const runCount = catalog.runs.list().length;

const engine = new EngineClient(() => forkTransport(undefined, { ...process.env, LETHE_BACKEND: process.env.LETHE_BACKEND ?? 'wasm' }));
const service = new LetheService({ catalog, engine, appVersion: 'bench' });
const token = 'bench-token';
const bridge = createBridge({ service, token, staticDir: path.resolve('out/renderer') });
await new Promise<void>((resolve) => bridge.listen(0, '127.0.0.1', resolve));
const origin = `http://127.0.0.1:${(bridge.address() as AddressInfo).port}`;

async function call<T>(method: string, ...args: unknown[]): Promise<T> {
  const response = await fetch(`${origin}/api/call/${method}`, { method: 'POST', headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' }, body: JSON.stringify(args) });
  const body = (await response.json()) as { result: T; error?: string };
  if (!response.ok) throw new Error(`${method}: ${body.error}`);
  return body.result;
}

const median = (values: number[]) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)]!;
const quantile = (values: number[], q: number) => [...values].sort((a, b) => a - b)[Math.min(values.length - 1, Math.ceil(q * values.length) - 1)]!;
const ms = (v: number) => Number(v.toFixed(1));

// --- 1. Study page data.
async function pageData(): Promise<{ served: number; rendered: number; points: number }> {
  const start = performance.now();
  const [table, pareto] = await Promise.all([call<StudyTable>('getStudyTable', config.name), call<ParetoAnalysis>('getStudyPareto', { study: config.name, objectives: ['UA_gap', 'TA'] })]);
  const served = performance.now();
  const colorOf = methodColors(table.rows.map((r) => r.label));
  const options = [
    paretoScatterOption(pareto, table, colorOf),
    parallelCoordinatesOption(table, PARETO_OBJECTIVES.map((objective) => ({ objective, flip: false, log: false })), colorOf),
  ];
  for (const option of options) {
    const chart = echarts.init(null, null, { renderer: 'svg', ssr: true, width: 1200, height: 460 });
    chart.setOption(option);
    chart.renderToSVGString();
    chart.dispose();
  }
  return { served: served - start, rendered: performance.now() - start, points: pareto.points.length };
}
await pageData(); // warm: the first call opens the prepared statements
const pages = [];
for (let i = 0; i < 7; i++) pages.push(await pageData());
console.log(
  JSON.stringify({
    case: `study page data, ${runCount} runs (${pages[0]!.points} method runs): getStudyTable + getStudyPareto over HTTP, then Pareto + parallel charts rendered to SVG`,
    servedMs: ms(median(pages.map((p) => p.served))),
    servedAndRenderedMs: ms(median(pages.map((p) => p.rendered))),
    targetMs: 1000,
  }),
);

const chromiumPath = '/usr/bin/chromium';
if (fs.existsSync(chromiumPath) && fs.existsSync('out/renderer/index.html')) {
  const { chromium } = await import('playwright-core');
  const browser = await chromium.launch({ executablePath: chromiumPath, args: ['--headless', '--no-sandbox', '--disable-gpu'] });
  const page = await browser.newPage({ viewport: { width: 1440, height: 900 } });
  await page.goto(`${origin}/?token=${token}`);
  const loads: number[] = [];
  for (let i = 0; i < 5; i++) {
    await page.goto(`${origin}/#/runs`);
    await page.waitForSelector('[data-testid="runs-table"]');
    const start = performance.now();
    await page.goto(`${origin}/#/studies/${config.name}?tab=pareto`);
    await page.waitForSelector('[data-testid="pareto-chart"] svg');
    await page.getByTestId('tab-table').click();
    await page.locator('[data-testid="study-table"] [data-role]').nth(11).waitFor();
    loads.push(performance.now() - start);
  }
  await browser.close();
  console.log(JSON.stringify({ case: `study page in Chromium, ${runCount} runs: navigation to the Pareto chart drawn, then the table's 12 rows`, medianMs: ms(median(loads)), targetMs: 1000 }));
} else {
  console.log(JSON.stringify({ case: 'study page in Chromium', skipped: 'needs /usr/bin/chromium and a built window (npm run build)' }));
}

// --- 2. Histogram counts.
const table = await call<StudyTable>('getStudyTable', config.name);
const retrainRun = table.rows.find((r) => r.role === 'retrain')!.runs[0]!.runId;
async function histogramTimes(request: object, repeats: number): Promise<number> {
  const times = [];
  for (let i = 0; i < repeats; i++) {
    const start = performance.now();
    await call('getScoreHistograms', request);
    times.push(performance.now() - start);
  }
  return median(times);
}
const one = { study: config.name, score: 'confidence', runs: [retrainRun], groups: ['forget', 'test', 'retain'], bins: 40 };
await histogramTimes(one, 1);
console.log(JSON.stringify({ case: 'histogram counts over 60,000 samples (one evaluation: forget, test, retain), 40 bins, KS to Retrain, over HTTP', medianMs: ms(await histogramTimes(one, 9)), targetMs: 200 }));
// The binning alone, in process: read the artifact, shared edges, counts per group, KS of forget vs forget.
const binning: number[] = [];
for (let i = 0; i < 9; i++) {
  const start = performance.now();
  const groups = readScoreFile(scoreFile);
  const columns = groups.map((g) => g.columns.confidence);
  const edges = sharedEdges(columns, 40);
  for (const c of columns) histogramCounts(c, edges);
  ksDistance(columns[0]!, columns[0]!);
  binning.push(performance.now() - start);
}
console.log(JSON.stringify({ case: 'of which: reading the 60,000-sample artifact, edges, counts and KS, in process', medianMs: ms(median(binning)) }));
console.log(JSON.stringify({ case: 'the MIA tab by default: 12 models, forget + test (16,000 samples each), over HTTP', medianMs: ms(await histogramTimes({ study: config.name }, 5)) }));

// --- 3. API latency while training runs in the engine process.
const training = await service.startTraining({ dataset: 'mnist', model: 'cnn', epochs: 1, batchSize: 64 });
while ((await call<{ status: string }>('getRun', training.id)).status === 'queued') await new Promise((r) => setTimeout(r, 100));
const latencies: Record<string, number[]> = { listRuns: [], getRun: [], getStudyTable: [] };
let status = 'running';
while (status === 'running') {
  for (const [method, args] of [['listRuns', []], ['getRun', [training.id]], ['getStudyTable', [config.name]]] as const) {
    const start = performance.now();
    const result = await call<{ status?: string }>(method, ...args);
    latencies[method]!.push(performance.now() - start);
    if (method === 'getRun') status = result.status!;
  }
  await new Promise((r) => setTimeout(r, 20));
}
for (const [method, values] of Object.entries(latencies)) {
  console.log(JSON.stringify({ case: `${method} over HTTP while a CNN trains (${runCount} runs in the catalog)`, requests: values.length, p50Ms: ms(median(values)), p95Ms: ms(quantile(values, 0.95)), maxMs: ms(Math.max(...values)), targetP95Ms: 50, training: status }));
}

bridge.close();
await engine.shutdown();
catalog.close();
fs.rmSync(dataDir, { recursive: true, force: true });
