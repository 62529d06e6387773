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
import { entryRuns, evaluationRequest, originalConfig, retrainConfig, unlearnRunConfig } from '../src/main/app/study-plan.js';
import { Catalog } from '../src/main/catalog/catalog.js';
import { readScoreFile, writeScoreFile, SCORE_COLUMNS, type ScoreGroup } from '../src/main/engine/evaluation/score-file.js';
import { histogramCounts, ksDistance, sharedEdges } from '../src/main/app/score-histograms.js';
import { Random } from '../src/main/engine/random.js';
import { createBridge } from '../src/main/server.js';
import { methodColors } from '../src/shared/charts/method-colors.js';
import { parallelCoordinatesOption } from '../src/shared/charts/parallel-coordinates.js';
import { paretoScatterOption } from '../src/shared/charts/pareto-scatter.js';
import { PARETO_OBJECTIVES, parseClassifierStudyConfig, studyRowEntries, type ParetoAnalysis, type StudyTable } from '../src/shared/study-config.js';

const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'lethe-bench-window-'));
const catalog = Catalog.open(dataDir);
const random = new Random(13);

// --- A study of 504 runs, written straight into the catalog with the configs a real study records.
const SEEDS = Array.from({ length: 25 }, (_, i) => i + 1);
const config = parseClassifierStudyConfig({
  name: 'bench-500',
  dataset: 'mnist',
  model: 'mlp',
  forget: { kind: 'random', percent: 10, seed: 1 },
  seeds: SEEDS,
  methods: Array.from({ length: 10 }, (_, k) => ({ label: `M${k}`, method: k % 2 ? 'raul' : 'ft', aggregator: 'upgrad', epochs: k + 1 })),
});
const dataset = catalog.datasets.upsert({ name: 'mnist', digest: 'bench', source: 'builtin', shape: [28, 28, 1], classNames: Array.from({ length: 10 }, String), sampleCount: 10_000 });
const forgetSet = catalog.forgetSets.add({ datasetId: dataset.id, name: 'random 10%', rule: { kind: 'random' }, seed: 1, size: 6000, digest: 'bench', path: path.join(dataDir, 'forget.json') });
const study = catalog.studies.create(config.name, 'benchmark');
catalog.studies.setConfig(study.id, 'benchmark', config, forgetSet.id);

// One score file of 60,000 samples shared by every evaluation (forget 6,000, test 10,000, retain 44,000).
function group(name: string, count: number, shift: number): ScoreGroup {
  const columns = Object.fromEntries(SCORE_COLUMNS.map((c) => [c, Float32Array.from({ length: count }, () => Math.min(1, Math.max(0, shift + 0.25 * (random.next() - 0.5) * 2)))])) as ScoreGroup['columns'];
  return { name, indices: Int32Array.from({ length: count }, (_, i) => i), labels: new Int32Array(count), columns };
}
const scoreFile = path.join(dataDir, 'scores.bin');
const scoreHash = writeScoreFile(scoreFile, [group('forget', 6000, 0.8), group('test', 10_000, 0.7), group('retain', 44_000, 0.9)]);

const base = { dataset: 'mnist', model: 'mlp', appVersion: 'bench', ownerPid: process.pid };
let counter = 0;
function modelRun(kind: 'train' | 'retrain' | 'unlearn', runConfig: object, seed: number): string {
  const id = `${kind}-${++counter}`;
  const hash = `ckpt-${counter}`;
  catalog.runs.create({ ...base, id, kind, config: runConfig as Record<string, unknown>, seed });
  catalog.runs.logMetrics(id, { run_seconds: 1 + random.next() * 10 }, 1);
  catalog.runs.finish(id, 'finished');
  catalog.checkpoints.add({ hash, path: path.join(dataDir, hash), role: kind === 'train' ? 'original' : kind === 'retrain' ? 'retrain' : 'unlearned', runId: id, model: 'mlp', dataset: 'mnist' });
  const evaluation = `eval-${counter}`;
  catalog.runs.create({ ...base, id: evaluation, kind: 'evaluate', config: evaluationRequest(config, hash, forgetSet.id) as unknown as Record<string, unknown> });
  catalog.runs.logMetrics(evaluation, { UA: 100 * random.next(), RA: 90 + 10 * random.next(), TA: 85 + 10 * random.next(), MIA: 100 * random.next(), boundary_accuracy: 80 + 20 * random.next() }, 0);
  catalog.artifacts.add({ runId: evaluation, kind: 'sample-scores', path: scoreFile, hash: scoreHash });
  catalog.runs.finish(evaluation, 'finished');
  catalog.studies.addRun(study.id, id);
  return hash;
}
catalog.db.transaction(() => {
  const original = modelRun('train', originalConfig(config), config.original.seed);
  const retrain = retrainConfig(config, original, forgetSet.id);
  modelRun('retrain', unlearnRunConfig(retrain), retrain.seed);
  for (const entry of studyRowEntries(config)) for (const planned of entryRuns(config, entry, original, forgetSet.id)) modelRun('unlearn', unlearnRunConfig(planned.config), planned.seed);
})();
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
