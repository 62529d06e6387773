/** `lethe report`: a study's report as PDF, HTML, CSV of runs, or a LaTeX folder. */
import fs from 'node:fs';
import path from 'node:path';
import { renderReport, writeLatexFolder } from '../reports/report-exports.js';
import { CHROMIUM_NAMES, chromiumPrinter } from '../reports/chromium-printer.js';
import { defineCommand, UsageError, withService, type OptionSpecs, type Output, type Values } from './command.js';

const HELP = `Usage: lethe report STUDY [--pdf FILE] [--html FILE] [--csv FILE] [--latex DIR] [--data-dir DIR]

Writes the report of a study made with 'lethe study run': what was forgotten
(dataset, forget rule, size, digests), the table (mean +- std over seeds, gap to
Retrain, Avg. Gap, RTE, stronger checks, best per column in bold), the Pareto fronts
with their hypervolume, the MIA histograms, the traces of the multi-objective runs,
the definitions of every metric, and the provenance of every run (config hash, seed,
backend, device, app version) and of the report (commit, Node/Electron/tfjs).

  --pdf FILE     the report as PDF (A4, page numbers, outline; text stays text,
                 figures stay vector)
  --html FILE    the same report as one self-contained HTML file
  --csv FILE     one row per run: status, config hash, backend, metrics and gaps
  --latex DIR    table.tex (booktabs), figures/*.svg and figures/*.pdf, figures.tex
                 and main.tex, which inputs both

PDFs are printed by a Chromium-based browser: $LETHE_CHROMIUM if set, else the
first of ${CHROMIUM_NAMES.join(', ')} on PATH (or the usual app folders).

Example: lethe report fashion-demo --pdf fashion-demo.pdf --latex paper/`;

const OPTIONS = {
  pdf: { type: 'string' },
  html: { type: 'string' },
  csv: { type: 'string' },
  latex: { type: 'string' },
} satisfies OptionSpecs;

/** Writes a file whole or not at all: a temporary file renamed into place. */
function writeAtomically(file: string, content: string | Uint8Array): void {
  const temporary = `${file}.${process.pid}.tmp`;
  fs.writeFileSync(temporary, content);
  fs.renameSync(temporary, file);
}

async function handle(values: Values<typeof OPTIONS>, io: Output, [study]: string[]): Promise<number> {
  if (!study) throw new UsageError('name the study (see lethe study list)');
  const outputs = (['pdf', 'html', 'csv'] as const).filter((f) => values[f] !== undefined);
  if (outputs.length === 0 && values.latex === undefined) throw new UsageError('say what to write: --pdf FILE, --html FILE, --csv FILE and/or --latex DIR');
  for (const format of outputs) {
    const dir = path.dirname(path.resolve(values[format]!));
    if (!fs.existsSync(dir)) throw new UsageError(`--${format}: the folder ${dir} does not exist`);
  }
  return withService(values, async (service) => {
    const report = await service.studyReport(study);
    const printPdf = chromiumPrinter();
    const written: string[] = [];
    for (const format of outputs) {
      const file = path.resolve(values[format]!);
      writeAtomically(file, await renderReport(report, format, printPdf));
      written.push(file);
    }
    if (values.latex !== undefined) written.push(...(await writeLatexFolder(report, path.resolve(values.latex), printPdf)));
    if (values.json) io.out(JSON.stringify({ study, files: written }, null, 2));
    else for (const file of written) io.out(file);
    return 0;
  });
}

export const reportCommand = defineCommand({
  name: 'report',
  summary: 'write a study report: PDF, HTML, CSV of runs, LaTeX table and figures',
  help: HELP,
  options: OPTIONS,
  positionals: 1,
  run: handle,
});
