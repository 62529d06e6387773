/**
 * Study reports over a real tiny study (MNIST MLP, GA and RAUL-UniDist-UPGrad, two seeds,
 * one-epoch schedules, then an FT row whose first run is killed): the PDF checked with
 * poppler-utils (pages, every table number, config hashes, backend, outline, vector
 * figures; every page rendered to test-output/report/ for review), the failed run listed,
 * the HTML, CSV and LaTeX exports, the study without its Retrain, and a clear refusal
 * where no Chromium is found. Needs /usr/bin/chromium (test/requirements.ts); the LaTeX
 * table is compiled where pdflatex is installed, else its structure is checked.
 */
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { runCli } from '../src/main/cli.js';
import { ChromiumNotFoundError, findChromium } from '../src/main/reports/chromium-printer.js';
import { electronPdfOptions, electronPrinter, type ElectronPdfOptions } from '../src/main/reports/electron-printer.js';
import { legendRows, renderSvg } from '../src/main/reports/report-figures.js';
import type { ReportFile } from '../src/shared/report.js';
import { classifierTable, type StudyConfigInput, type StudyTable } from '../src/shared/study-config.js';
import { escapeLatex } from '../src/shared/study-format.js';
import { makeTempDir, serviceForTests } from './helpers.js';
import { requirement } from './requirements.js';

const CHROMIUM = '/usr/bin/chromium';
const chromiumBrowser = requirement('chromium', 'Chromium', fs.existsSync(CHROMIUM) ? null : `${CHROMIUM} does not exist (apt-get install chromium)`);
const output = path.resolve('test-output/report');
const hasPdflatex = (() => {
  try {
    execFileSync('pdflatex', ['--version'], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
})();

const STUDY: StudyConfigInput = {
  name: 'report-mnist',
  description: 'the report test’s study',
  dataset: 'mnist',
  model: 'mlp',
  original: { epochs: 1, batchSize: 256, lr: 0.05 },
  forget: { kind: 'random', percent: 10, seed: 1 },
  seeds: [1, 2],
  evaluation: { relearn: false, pgd: false, boundary: true },
  methods: [
    // An underscore and an ampersand the LaTeX table must escape.
    { label: 'GA_lr & co', method: 'ga', epochs: 1, lr: 1e-3 },
    { label: 'RAUL-UniDist-UPGrad', method: 'raul', reference: 'uniform', aggregator: 'upgrad', epochs: 1 },
  ],
};

const pdfText = (file: string) => execFileSync('pdftotext', ['-layout', file, '-'], { encoding: 'utf8' });
const pageCount = (file: string) => Number(/Pages:\s+(\d+)/.exec(execFileSync('pdfinfo', [file], { encoding: 'utf8' }))![1]);

/** Every number the table shows, as it shows them: each cell's mean, std (over repeats) and gap, Avg. Gap and RTE. */
function tableNumbers(table: StudyTable): string[] {
  return table.rows.flatMap((row) => {
    if (!row.metrics) return [];
    const cells = Object.values(row.metrics).flatMap((c) => [c.mean.toFixed(2), ...(row.repeats > 1 ? [c.std.toFixed(2)] : []), ...(c.gap === null ? [] : [c.gap.toFixed(2)])]);
    return [...cells, ...(row.avgGap === null ? [] : [row.avgGap.toFixed(2)]), ...(row.rte ? [row.rte.mean.toFixed(1)] : [])];
  });
}

/** One CSV line's fields (RFC 4180: quoted fields may hold commas and doubled quotes). */
function csvFields(line: string): string[] {
  const fields: string[] = [];
  let field = '';
  let quoted = false;
  for (let i = 0; i < line.length; i++) {
    const c = line[i]!;
    if (quoted) {
      if (c === '"' && line[i + 1] === '"') field += line[++i];
      else if (c === '"') quoted = false;
      else field += c;
    } else if (c === '"') quoted = true;
    else if (c === ',') {
      fields.push(field);
      field = '';
    } else field += c;
  }
  return [...fields, field];
}

function capture() {
  const out: string[] = [];
  const err: string[] = [];
  return { io: { out: (t: string) => out.push(t), err: (t: string) => err.push(t), isTTY: false }, out, err };
}

describe('electron printToPDF options (the app path; Electron itself cannot run here)', () => {
  it('prints the report on A4 with page numbers, outline and tags, and a figure on a page of its own size', async () => {
    const report = electronPdfOptions('report');
    expect(report).toMatchObject({ pageSize: 'A4', displayHeaderFooter: true, generateDocumentOutline: true, generateTaggedPDF: true, printBackground: true });
    expect(report.footerTemplate).toContain('class="pageNumber"');
    expect(report.footerTemplate).toContain('class="totalPages"');
    expect(report.margins.bottom).toBeCloseTo(16 / 25.4, 10);
    expect(electronPdfOptions({ width: 672, height: 480 })).toMatchObject({ pageSize: { width: 7, height: 5 }, margins: { top: 0, right: 0, bottom: 0, left: 0 }, displayHeaderFooter: false });
    // The printer loads each document from a file into one window, prints it, and cleans up.
    const calls: { html: string; options: ElectronPdfOptions }[] = [];
    let loaded = '';
    let destroyed = false;
    const print = electronPrinter(() => ({
      loadFile: async (file) => void (loaded = fs.readFileSync(file, 'utf8')),
      webContents: { printToPDF: async (options) => (calls.push({ html: loaded, options }), new TextEncoder().encode(`pdf ${calls.length}`)) },
      destroy: () => void (destroyed = true),
    }));
    const pdfs = await print([
      { html: '<h1>one</h1>', page: 'report' },
      { html: '<svg></svg>', page: { width: 96, height: 48 } },
    ]);
    expect(pdfs.map((p) => new TextDecoder().decode(p))).toEqual(['pdf 1', 'pdf 2']);
    expect(calls.map((c) => [c.html, c.options.pageSize])).toEqual([
      ['<h1>one</h1>', 'A4'],
      ['<svg></svg>', { width: 1, height: 0.5 }],
    ]);
    expect(destroyed).toBe(true);
  });
});

describe('figures for paper', () => {
  const scatter = (methods: number) => ({
    legend: { type: 'scroll', bottom: 0 },
    grid: { left: 64, right: 24, top: 64, bottom: 80 },
    xAxis: { type: 'value' },
    yAxis: { type: 'value' },
    series: Array.from({ length: methods }, (_, i) => ({ name: `RAUL-UniDist-method-${i} (lr 0.005, 5 ep)`, type: 'scatter', data: [[i, i]] })),
  });

  it('a legend of one row keeps the figure as asked; a longer one makes it taller by its extra rows, below the plot', () => {
    expect(legendRows(['FT', 'GA'], 740)).toBe(1);
    const small = renderSvg(scatter(2), 760, 440);
    expect(small.height).toBe(440);
    expect(small.svg).toMatch(/height="440"/);
    const rows = legendRows(scatter(24).series.map((s) => s.name), 740);
    expect(rows).toBeGreaterThan(4);
    const large = renderSvg(scatter(24), 760, 440);
    expect(large.height).toBe(440 + (rows - 1) * 24);
    expect(large.svg).toMatch(new RegExp(`height="${large.height}"`));
  });
});

describe('LaTeX escaping', () => {
  it('escapes every special character once, backslashes included', () => {
    expect(escapeLatex('a\\b~c^d_e&f%g$h#i{j}')).toBe('a\\textbackslash{}b\\textasciitilde{}c\\textasciicircum{}d\\_e\\&f\\%g\\$h\\#i\\{j\\}');
  });
});

describe('finding a browser to print with', () => {
  it('names LETHE_CHROMIUM when it points at nothing, and everything it looked for when none is found', () => {
    expect(() => findChromium({ LETHE_CHROMIUM: '/no/such/chromium' })).toThrow(/LETHE_CHROMIUM is '\/no\/such\/chromium', which is not an executable file/);
    const empty = makeTempDir('no-browsers');
    let error: unknown;
    try {
      findChromium({ PATH: empty });
    } catch (e) {
      error = e;
    }
    // A machine with a browser in an app folder finds it; elsewhere the message lists the names and the variable.
    if (error !== undefined) {
      expect(error).toBeInstanceOf(ChromiumNotFoundError);
      expect((error as Error).message).toMatch(/looked for chromium, chromium-browser, google-chrome, google-chrome-stable, microsoft-edge, brave-browser on PATH .* set LETHE_CHROMIUM/);
    }
    fs.writeFileSync(path.join(empty, 'chromium-browser'), '#!/bin/sh\n', { mode: 0o755 });
    expect(findChromium({ PATH: empty })).toBe(path.join(empty, 'chromium-browser'));
  });
});

describe('lethe report refusals', () => {
  it('refuses (exit 2) a missing study name, no output asked for, and a file in a folder that does not exist, before opening anything', async () => {
    const dataDir = makeTempDir('report-refusals');
    const refused = async (args: string[], message: string) => {
      const { io, err } = capture();
      expect(await runCli(['report', ...args, '--data-dir', dataDir], io)).toBe(2);
      expect(err.join('\n')).toContain(message);
    };
    await refused([], 'name the study (see lethe study list)');
    await refused(['some-study'], 'say what to write: --pdf FILE, --html FILE, --csv FILE and/or --latex DIR');
    await refused(['some-study', '--html', '/no/such/folder/report.html'], '--html: the folder /no/such/folder does not exist');
    expect(fs.readdirSync(dataDir)).toEqual([]);
  });
});

describe.skipIf(chromiumBrowser.skip)('study reports', () => {
  const { dataDir, engine, service } = serviceForTests('report');
  let table: StudyTable;
  let failedRunId: string;

  beforeAll(async () => {
    fs.rmSync(output, { recursive: true, force: true });
    fs.mkdirSync(output, { recursive: true });
    expect((await service.runStudy(STUDY)).failed).toEqual([]);
    // An FT row whose first run dies with its engine: a failed run the report must list.
    const stop = service.subscribe((event) => {
      if (event.type === 'study-progress' && event.progress.status === 'started' && event.progress.label.startsWith('FT (seed 1')) setTimeout(() => engine.kill(), 200);
    });
    const extended = await service.runStudy({ ...STUDY, methods: [...STUDY.methods, { label: 'FT', method: 'ft', epochs: 1 }] });
    stop();
    expect(extended.failed).toHaveLength(1);
    failedRunId = extended.failed[0]!.runId;
    table = classifierTable(await service.getStudyTable('report-mnist'));
  }, 600_000);

  const exported = async (format: 'pdf' | 'html' | 'csv' | 'latex', name: string): Promise<{ file: ReportFile; saved: string }> => {
    const file = await service.exportStudyReport({ study: 'report-mnist', format });
    const saved = path.join(output, name);
    fs.writeFileSync(saved, Buffer.from(file.content, file.encoding));
    return { file, saved };
  };

  it('prints a PDF with every table number, config hash and backend as text, an outline, and vector figures', async () => {
    const { file, saved } = await exported('pdf', 'report-mnist.pdf');
    expect(file).toMatchObject({ fileName: 'report-mnist-report.pdf', mimeType: 'application/pdf', encoding: 'base64' });
    const pages = pageCount(saved);
    expect(pages).toBeGreaterThan(1);
    const text = pdfText(saved);
    const numbers = tableNumbers(table);
    expect(numbers.length).toBeGreaterThan(40);
    for (const n of numbers) expect(text, `table number ${n}`).toContain(n);
    const study = (await service.listStudies()).find((s) => s.name === 'report-mnist')!;
    const runs = (await service.listRuns()).filter((r) => study.runIds.includes(r.id));
    expect(runs.length).toBe(2 * (2 + 2 * 2) + 2 + 1); // every model run and its evaluation, FT seed 2 with its own, the failed FT seed 1
    for (const run of runs) {
      expect(text, `config hash of ${run.id}`).toContain(run.configHash);
      expect(text).toContain(run.id);
    }
    expect(text).toContain(table.backend!.split(' (')[0]!);
    // Which kernels ran the runs (recorded per run; the wasm backend always says which).
    const kernels = [...new Set(runs.flatMap((r) => (r.kernels ? [r.kernels] : [])))];
    expect(kernels.length).toBeGreaterThan(0);
    for (const k of kernels) expect(text.replace(/\s+/g, ' ')).toContain(k.slice(0, 40));
    expect(text).toMatch(/Pareto fronts[\s\S]*Membership inference[\s\S]*Traces of the multi-objective runs[\s\S]*Definitions[\s\S]*Provenance[\s\S]*Runs/);
    // Axis names of the figures are text too (SVG text stays text), and the footer numbers the pages.
    expect(text).toContain('UA gap (%)');
    expect(text).toContain(`page ${pages} of ${pages}`);
    const bytes = fs.readFileSync(saved).toString('latin1');
    expect(bytes).toContain('/Outlines');
    expect(bytes).toContain('/Title (Membership inference)');
    // No figure is a bitmap: the PDF embeds no image at all.
    const images = execFileSync('pdfimages', ['-list', saved], { encoding: 'utf8' }).trim().split('\n').slice(2);
    expect(images).toEqual([]);
    // Every page as a PNG for review.
    execFileSync('pdftoppm', ['-r', '80', '-png', saved, path.join(output, 'page')]);
    expect(fs.readdirSync(output).filter((f) => /^page-\d+\.png$/.test(f))).toHaveLength(pages);
  }, 120_000);

  it('lists the failed run as failed, with its error, in the HTML and the CSV', async () => {
    const html = (await exported('html', 'report-mnist.html')).file.content;
    const failedRow = new RegExp(`<tr data-status="failed"><td>unlearn ft \\(seed 1\\)<br><span class="hash">${failedRunId}</span><br><span class="status-failed">[^<]*engine process exited`);
    expect(html).toMatch(failedRow);
    expect(html).toContain('1 failed');
    expect(html).not.toMatch(/<script/i);
    const csv = (await exported('csv', 'report-mnist.csv')).file.content.trim().split('\n');
    const header = csvFields(csv[0]!);
    const rows = csv.slice(1).map((line) => Object.fromEntries(csvFields(line).map((v, i) => [header[i], v])));
    expect(rows.every((r) => Object.keys(r).length === header.length)).toBe(true);
    const failed = rows.filter((r) => r.status === 'failed');
    expect(failed.map((r) => [r.run_id, r.kind, r.method, r.seed])).toEqual([[failedRunId, 'unlearn', 'ft', '1']]);
    expect(failed[0]!.error).toMatch(/engine process exited/);
    // A model run's row carries its evaluation's numbers exactly as the table's per-seed runs.
    for (const row of table.rows) {
      for (const run of row.runs) {
        const line = rows.find((r) => r.run_id === run.runId)!;
        expect(line.evaluation_id).toBe(run.evaluationId);
        expect(Number(line.UA)).toBe(run.metrics.UA.value);
        expect(Number(line.MIA_gap)).toBe(run.metrics.MIA.gap);
      }
    }
  });

  it('writes the LaTeX folder from the command line: a booktabs table with mean ± std, best bold, escaped names, and every figure as SVG and PDF', async () => {
    const dir = path.join(output, 'latex');
    const { io, out } = capture();
    expect(await runCli(['report', 'report-mnist', '--data-dir', dataDir, '--latex', dir], io)).toBe(0);
    const tex = fs.readFileSync(path.join(dir, 'table.tex'), 'utf8');
    expect(tex).toMatch(/\\toprule[\s\S]*\\midrule[\s\S]*\\bottomrule/);
    expect(tex).toContain('GA\\_lr \\& co &');
    const ga = table.rows.find((r) => r.label === 'GA_lr & co')!;
    expect(tex).toContain(`${ga.metrics!.UA.mean.toFixed(2)} $\\pm$ ${ga.metrics!.UA.std.toFixed(2)} (${ga.metrics!.UA.gap!.toFixed(2)})`);
    const best = table.rows.find((r) => r.best.includes('avgGap'))!;
    expect(tex).toContain(`\\textbf{${best.avgGap!.toFixed(2)}}`);
    const figures = fs.readdirSync(path.join(dir, 'figures'));
    // Two Pareto fronts, Original, Retrain and three methods' MIA panels, three RAUL-UPGrad traces.
    expect(figures.filter((f) => f.endsWith('.svg'))).toHaveLength(2 + 5 + 3);
    for (const svg of figures.filter((f) => f.endsWith('.svg'))) {
      expect(fs.readFileSync(path.join(dir, 'figures', svg), 'utf8')).toMatch(/^<svg[^>]*viewBox/);
      const pdf = path.join(dir, 'figures', svg.replace(/\.svg$/, '.pdf'));
      expect(pageCount(pdf)).toBe(1);
      expect(execFileSync('pdfimages', ['-list', pdf], { encoding: 'utf8' }).trim().split('\n')).toHaveLength(2);
    }
    expect(out).toContain(path.join(dir, 'table.tex'));
    if (hasPdflatex) {
      execFileSync('pdflatex', ['-interaction=nonstopmode', '-halt-on-error', 'main.tex'], { cwd: dir, stdio: 'ignore' });
      const text = pdfText(path.join(dir, 'main.pdf'));
      // Computer Modern (OT1) has no underscore glyph for pdftotext to read back: the label's other characters are checked.
      expect(text).toMatch(/GA.lr & co/);
      // The last columns are on the page, not cut off at its edge.
      expect(text).toMatch(/Boundary\s+PGD\s+Relearn\s+n/);
      expect(text).toContain(`${ga.metrics!.TA.mean.toFixed(2)} ± ${ga.metrics!.TA.std.toFixed(2)} (${ga.metrics!.TA.gap!.toFixed(2)})`);
    }
  }, 120_000);

  it('refuses a PDF with a clear error where no browser is found, and writes nothing', async () => {
    const target = path.join(output, 'no-browser.pdf');
    const { io, err } = capture();
    const before = process.env.LETHE_CHROMIUM;
    process.env.LETHE_CHROMIUM = '/no/such/chromium';
    try {
      expect(await runCli(['report', 'report-mnist', '--data-dir', dataDir, '--pdf', target], io)).toBe(1);
    } finally {
      if (before === undefined) delete process.env.LETHE_CHROMIUM;
      else process.env.LETHE_CHROMIUM = before;
    }
    expect(err.join('\n')).toContain("lethe report: LETHE_CHROMIUM is '/no/such/chromium', which is not an executable file");
    expect(fs.existsSync(target)).toBe(false);
    const { io: io2, err: err2 } = capture();
    expect(await runCli(['report', 'no-such-study', '--data-dir', dataDir, '--html', target], io2)).toBe(2);
    expect(err2.join('\n')).toContain("no study named 'no-such-study'");
  });

  it('exports a study without its Retrain: no gaps and no Pareto front, said so, the rest of the report intact', async () => {
    const retrain = table.rows.find((r) => r.role === 'retrain')!.runs[0]!.runId;
    await service.deleteRun(retrain);
    const without = classifierTable(await service.getStudyTable('report-mnist'));
    expect(without.rows.find((r) => r.role === 'retrain')!.metrics).toBeNull();
    const { saved } = await exported('pdf', 'report-mnist-without-retrain.pdf');
    const text = pdfText(saved);
    expect(pageCount(saved)).toBeGreaterThan(1);
    expect(text).toContain("Not available: study 'report-mnist' has no evaluated Retrain yet");
    const ga = without.rows.find((r) => r.label === 'GA_lr & co')!;
    expect(ga.metrics!.UA.gap).toBeNull();
    expect(text).toContain(`${ga.metrics!.UA.mean.toFixed(2)} ± ${ga.metrics!.UA.std.toFixed(2)} (-)`);
    execFileSync('pdftoppm', ['-r', '60', '-png', '-f', '1', '-l', '2', saved, path.join(output, 'without-retrain')]);
  }, 120_000);
});
