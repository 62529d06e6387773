/**
 * Export of a 200-run study's report, on a synthetic catalog (10 method entries x 10
 * seeds, each run with its evaluation, plus Original and Retrain, and one failed run;
 * the five RAUL-UPGrad rows with 100 steps of losses, weights and cosines), faked as
 * bench/fake-study.ts writes it: the report model from the service, the HTML
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
import { Catalog } from '../src/main/catalog/catalog.js';
import { chromiumPrinter, findChromium } from '../src/main/reports/chromium-printer.js';
import { reportCsv } from '../src/main/reports/report-csv.js';
import { renderReport, writeLatexFolder } from '../src/main/reports/report-exports.js';
import { reportFigures } from '../src/main/reports/report-figures.js';
import { reportHtml } from '../src/main/reports/report-html.js';
import { writeFakeStudy } from './fake-study.js';

const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'lethe-bench-report-'));
const catalog = Catalog.open(dataDir);
const { config } = writeFakeStudy(catalog, dataDir, { name: 'bench-200', seeds: 10, randomSeed: 15, traces: true, failedRun: true });
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
