/**
 * A study report in each of its forms, all from one report model: the PDF (the HTML
 * printed), the HTML, the CSV of runs, the LaTeX table, and the LaTeX folder (the table
 * and every figure as SVG and PDF, with a document that puts them together).
 */
import fs from 'node:fs';
import path from 'node:path';
import { reportFileName, type ReportFile, type ReportFormat } from '../../shared/report.js';
import { escapeLatex, formatStudyTable } from '../../shared/study-format.js';
import { reportCsv } from './report-csv.js';
import { reportFigures } from './report-figures.js';
import { reportHtml } from './report-html.js';
import type { StudyReport } from './report-model.js';
import { figurePage, type PdfPrinter } from './pdf-printer.js';

const MIME_TYPES: Record<ReportFormat, string> = {
  pdf: 'application/pdf',
  html: 'text/html; charset=utf-8',
  csv: 'text/csv; charset=utf-8',
  latex: 'application/x-tex; charset=utf-8',
};

export async function renderReport(report: StudyReport, format: ReportFormat, printPdf: PdfPrinter): Promise<Uint8Array | string> {
  switch (format) {
    case 'pdf':
      return (await printPdf([{ html: reportHtml(report), page: 'report' }]))[0]!;
    case 'html':
      return reportHtml(report);
    case 'csv':
      return reportCsv(report);
    case 'latex':
      return formatStudyTable(report.table, 'latex');
  }
}

/** The report as a file that crosses IPC and JSON: text as it is, the PDF as base64. */
export async function reportFile(report: StudyReport, format: ReportFormat, printPdf: PdfPrinter): Promise<ReportFile> {
  const content = await renderReport(report, format, printPdf);
  const text = typeof content === 'string';
  return {
    fileName: reportFileName(report.table.study, format),
    mimeType: MIME_TYPES[format],
    encoding: text ? 'utf8' : 'base64',
    content: text ? content : Buffer.from(content).toString('base64'),
  };
}

/**
 * Writes table.tex, figures/<id>.svg and .pdf, figures.tex and main.tex (a document
 * that inputs both, for booktabs and graphicx) into `dir`; returns the files written.
 */
export async function writeLatexFolder(report: StudyReport, dir: string, printPdf: PdfPrinter): Promise<string[]> {
  const figures = reportFigures(report);
  const pdfs = await printPdf(figures.map((f) => figurePage(f.svg, f.width, f.height)));
  const files = new Map<string, string | Uint8Array>();
  files.set('table.tex', formatStudyTable(report.table, 'latex') + '\n');
  figures.forEach((f, i) => {
    files.set(`figures/${f.id}.svg`, f.svg);
    files.set(`figures/${f.id}.pdf`, pdfs[i]!);
  });
  const figureTex = figures.map(
    (f) => `\\begin{figure}[t]\n\\centering\n\\includegraphics[width=${f.width > 400 ? '\\linewidth' : '0.48\\linewidth'}]{figures/${f.id}.pdf}\n\\caption{${escapeLatex(f.caption)}}\n\\end{figure}`,
  );
  files.set('figures.tex', figureTex.join('\n\n') + '\n');
  files.set(
    'main.tex',
    ['\\documentclass{article}', '\\usepackage[a4paper,margin=15mm]{geometry}', '\\usepackage{booktabs}', '\\usepackage{graphicx}', '\\begin{document}', '\\input{table}', '\\input{figures}', '\\end{document}', ''].join('\n'),
  );
  fs.mkdirSync(path.join(dir, 'figures'), { recursive: true });
  for (const [name, content] of files) fs.writeFileSync(path.join(dir, name), content);
  return [...files.keys()].map((name) => path.join(dir, name));
}
