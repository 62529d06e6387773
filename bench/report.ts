/**
 * Export of a 200-run study's report, on a synthetic catalog (10 method entries x 10
 * seeds, each run with its evaluation, plus Original and Retrain, and one failed run;
 * the five RAUL-UPGrad rows with 100 steps of losses, weights and cosines), the way
 * bench/window-data.ts fakes the catalog: the report model from the service, the HTML
 * with its figures rendered to SVG, the CSV, the LaTeX folder (table, figures as SVG and
 * PDF) and the PDF printed by Chromium. Target from issue 15: the export under 20 s.
 * One JSON line per figure. Run: node --import tsx bench/report.ts
 */
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { EngineClient, forkTransport } from '../src/main/app/engine-client.js';
import { LetheService } from '../src/main/app/lethe-service.js';
import { entryRuns, evaluationRequest, originalConfig, retrainConfig, unlearnRunConfig } from '../src/main/app/study-plan.js';
import { Catalog } from '../src/main/catalog/catalog.js';
import { SCORE_COLUMNS, writeScoreFile, type ScoreGroup } from '../src/main/engine/evaluation/score-file.js';
import { Random } from '../src/main/engine/random.js';
import { chromiumPrinter, findChromium } from '../src/main/reports/chromium-printer.js';
import { reportCsv } from '../src/main/reports/report-csv.js';
import { renderReport, writeLatexFolder } from '../src/main/reports/report-exports.js';
import { reportFigures } from '../src/main/reports/report-figures.js';
import { reportHtml } from '../src/main/reports/report-html.js';
import { parseClassifierStudyConfig, studyRowEntries } from '../src/shared/study-config.js';

const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'lethe-bench-report-'));
const catalog = Catalog.open(dataDir);
const random = new Random(15);

const config = parseClassifierStudyConfig({
  name: 'bench-200',
  dataset: 'mnist',
  model: 'mlp',
  forget: { kind: 'random', percent: 10, seed: 1 },
  seeds: Array.from({ length: 10 }, (_, i) => i + 1),
  methods: Array.from({ length: 10 }, (_, k) => ({ label: `M${k}`, method: k % 2 ? 'raul' : 'ft', aggregator: 'upgrad', epochs: k + 1 })),
});
const dataset = catalog.datasets.upsert({ name: 'mnist', digest: 'bench', source: 'builtin', shape: [28, 28, 1], classNames: Array.from({ length: 10 }, String), sampleCount: 10_000 });
const forgetSet = catalog.forgetSets.add({ datasetId: dataset.id, name: 'random 10%', rule: { kind: 'random' }, seed: 1, size: 6000, digest: 'bench', path: path.join(dataDir, 'forget.json') });
const study = catalog.studies.create(config.name, 'benchmark');
catalog.studies.setConfig(study.id, 'benchmark', config, forgetSet.id);

function group(name: string, count: number, shift: number): ScoreGroup {
  const columns = Object.fromEntries(SCORE_COLUMNS.map((c) => [c, Float32Array.from({ length: count }, () => Math.min(1, Math.max(0, shift + 0.25 * (random.next() - 0.5) * 2)))])) as ScoreGroup['columns'];
  return { name, indices: Int32Array.from({ length: count }, (_, i) => i), labels: new Int32Array(count), columns };
}
const scoreFile = path.join(dataDir, 'scores.bin');
const scoreHash = writeScoreFile(scoreFile, [group('forget', 6000, 0.8), group('test', 10_000, 0.7), group('retain', 44_000, 0.9)]);

const base = { dataset: 'mnist', model: 'mlp', appVersion: 'bench', ownerPid: process.pid };
let counter = 0;
function modelRun(kind: 'train' | 'retrain' | 'unlearn', runConfig: object, seed: number, multiObjective: boolean): string {
  const id = `${kind}-${++counter}`;
  const hash = `ckpt-${counter}`;
  catalog.runs.create({ ...base, id, kind, config: runConfig as Record<string, unknown>, seed });
  catalog.runs.markRunning(id, { name: 'wasm', device: 'CPU (bench)' });
  catalog.runs.logMetrics(id, { run_seconds: 1 + random.next() * 10 }, 1);
  if (multiObjective) {
    catalog.runs.setParams(id, { objectives: 'forget | retain' });
    for (let step = 1; step <= 100; step++) {
      const w = random.next();
      catalog.runs.logMetrics(id, { loss_forget: 2 + random.next(), loss_retain: 0.3 * random.next(), weight_forget: w, weight_retain: 1 - w, cosine: 2 * random.next() - 1 }, step);
    }
  }
  catalog.runs.finish(id, 'finished');
  catalog.checkpoints.add({ hash, path: path.join(dataDir, hash), role: kind === 'train' ? 'original' : kind === 'retrain' ? 'retrain' : 'unlearned', runId: id, model: 'mlp', dataset: 'mnist' });
  const evaluation = `eval-${counter}`;
  catalog.runs.create({ ...base, id: evaluation, kind: 'evaluate', config: evaluationRequest(config, hash, forgetSet.id) as unknown as Record<string, unknown> });
  catalog.runs.logMetrics(evaluation, { UA: 100 * random.next(), RA: 90 + 10 * random.next(), TA: 85 + 10 * random.next(), MIA: 100 * random.next(), boundary_accuracy: 80 + 20 * random.next() }, 0);
  catalog.artifacts.add({ runId: evaluation, kind: 'sample-scores', path: scoreFile, hash: scoreHash });
  catalog.runs.finish(evaluation, 'finished');
  catalog.studies.addRun(study.id, id);
  catalog.studies.addRun(study.id, evaluation);
  return hash;
}
catalog.db.transaction(() => {
  const original = modelRun('train', originalConfig(config), config.original.seed, false);
  const retrain = retrainConfig(config, original, forgetSet.id);
  modelRun('retrain', unlearnRunConfig(retrain), retrain.seed, false);
  for (const entry of studyRowEntries(config)) {
    for (const planned of entryRuns(config, entry, original, forgetSet.id)) modelRun('unlearn', unlearnRunConfig(planned.config), planned.seed, entry.method === 'raul');
  }
  catalog.runs.create({ ...base, id: 'failed-1', kind: 'unlearn', config: { failed: true }, seed: 11 });
  catalog.runs.finish('failed-1', 'failed', 'the engine process exited (signal SIGKILL) while the job was running');
  catalog.studies.addRun(study.id, 'failed-1');
})();
const runCount = catalog.runs.list().length;

const engine = new EngineClient(() => forkTransport(undefined, { ...process.env, LETHE_BACKEND: 'wasm' }));
const service = new LetheService({ catalog, engine, appVersion: 'bench' });
const out = path.join(dataDir, 'out');
fs.mkdirSync(out);
const ms = (v: number) => Number(v.toFixed(0));
const timed = async <T>(work: () => Promise<T> | T): Promise<[T, number]> => {
  const start = performance.now();
  const value = await work();
  return [value, performance.now() - start];
};

const [report, modelMs] = await timed(() => service.studyReport(config.name));
const [figures, figuresMs] = await timed(() => reportFigures(report));
const [html, htmlMs] = await timed(() => reportHtml(report, figures));
const [csv, csvMs] = await timed(() => reportCsv(report));
console.log(JSON.stringify({ case: `report model of a ${runCount}-run study from the service (table, 2 Pareto analyses, 12 MIA panels, 5 traces, runs)`, ms: ms(modelMs) }));
console.log(JSON.stringify({ case: `${figures.length} figures rendered to SVG (ECharts SSR)`, ms: ms(figuresMs) }));
console.log(JSON.stringify({ case: 'HTML around them', ms: ms(htmlMs), bytes: html.length }));
console.log(JSON.stringify({ case: `CSV, one row per run (${csv.trim().split('\n').length - 1} rows)`, ms: ms(csvMs) }));

let chromium: string | null = null;
try {
  chromium = findChromium();
} catch (error) {
  console.log(JSON.stringify({ case: 'PDF and LaTeX figures', skipped: (error as Error).message }));
}
if (chromium) {
  const printPdf = chromiumPrinter(chromium);
  const pdfFile = path.join(out, 'report.pdf');
  const [pdf, pdfMs] = await timed(() => renderReport(report, 'pdf', printPdf));
  fs.writeFileSync(pdfFile, pdf);
  const pages = /Pages:\s+(\d+)/.exec(execFileSync('pdfinfo', [pdfFile], { encoding: 'utf8' }))?.[1];
  console.log(JSON.stringify({ case: 'PDF printed by Chromium from the HTML (browser start included)', ms: ms(pdfMs), pages: Number(pages), bytes: pdf.length }));
  const [files, latexMs] = await timed(() => writeLatexFolder(report, path.join(out, 'latex'), printPdf));
  console.log(JSON.stringify({ case: `LaTeX folder: table and ${figures.length} figures as SVG and PDF (${files.length} files)`, ms: ms(latexMs) }));
  const [, totalMs] = await timed(() => service.exportStudyReport({ study: config.name, format: 'pdf' }));
  console.log(JSON.stringify({ case: `whole PDF export of the ${runCount}-run study through the service (exportStudyReport)`, ms: ms(totalMs), targetMs: 20_000 }));
}

await engine.shutdown();
catalog.close();
fs.rmSync(dataDir, { recursive: true, force: true });
