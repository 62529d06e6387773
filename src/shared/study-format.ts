/**
 * A study table as text for a terminal, Markdown, CSV, JSON or LaTeX, its columns by
 * the study's kind: metrics as mean +- std (a classifier's with the gap to Retrain in
 * brackets, then Avg. Gap, RTE and the stronger checks; a language model's TOFU
 * measures, then RTE), best per column marked (a star in text, bold in Markdown and
 * LaTeX, a `best` column in CSV).
 */
import { STUDY_COLUMNS, type AnyStudyTable, type StudyComparison, type StudyLira, type StudyRow } from './study-config.js';
import { SELECTION_NOTE } from './study-selection.js';

export const TABLE_FORMATS = ['text', 'markdown', 'csv', 'json', 'latex'] as const;
export type TableFormat = (typeof TABLE_FORMATS)[number];

export interface Cell {
  text: string;
  best: boolean;
}

type Row = StudyRow<string>;

/** A column after the metrics: its header, its cell, and its CSV fields. */
interface ExtraColumn {
  header: string;
  cell(row: Row, pm: string): Cell;
  csv: { names: string[]; values(row: Row): (number | null | undefined)[] };
}

const fixed = (v: number | null | undefined, digits = 2) => (v === null || v === undefined || !Number.isFinite(v) ? '-' : v.toFixed(digits));

/** Small values (forget quality's p-values) in scientific notation, the rest fixed. */
const adaptive = (v: number) => (v !== 0 && Math.abs(v) < 0.01 ? v.toExponential(1) : fixed(v));

const RTE: ExtraColumn = {
  header: 'RTE (s)',
  cell: (row, pm) => ({ text: row.rte ? `${fixed(row.rte.mean, 1)}${row.repeats > 1 ? `${pm}${fixed(row.rte.std, 1)}` : ''}` : '-', best: row.best.includes('rte') }),
  csv: { names: ['rte_mean', 'rte_std'], values: (row) => [row.rte?.mean, row.rte?.std] },
};

/** What each kind of study shows: metric cells with or without the gap to Retrain, the columns after them, and the note. */
const LAYOUTS = {
  classifier: {
    gaps: true,
    extras: [
      { header: 'Avg. Gap', cell: (row) => ({ text: fixed(row.avgGap), best: row.best.includes('avgGap') }), csv: { names: ['avg_gap'], values: (row) => [row.avgGap] } },
      RTE,
      { header: 'Boundary', cell: (row) => ({ text: fixed(row.boundary), best: false }), csv: { names: ['boundary'], values: (row) => [row.boundary] } },
      { header: 'PGD', cell: (row) => ({ text: fixed(row.pgd), best: false }), csv: { names: ['pgd'], values: (row) => [row.pgd] } },
      { header: 'Relearn', cell: (row) => ({ text: fixed(row.relearnSteps, 1), best: false }), csv: { names: ['relearn_steps'], values: (row) => [row.relearnSteps] } },
    ] as ExtraColumn[],
    note: 'UA, RA, TA, MIA in % as mean (gap to Retrain); Avg. Gap = mean of the four gaps; RTE = unlearning run time (training time for Original and Retrain); Boundary = accuracy on the retain samples nearest the forget set; PGD = forget accuracy under PGD toward the forgotten label; Relearn = attack steps until forget accuracy recovers.',
  },
  'language-model': {
    gaps: false,
    extras: [RTE],
    note: "TOFU's measures (Maini et al. 2024): forget quality = KS-test p-value of the forget truth ratios against Retrain's (higher is closer); model utility = harmonic mean of retain probability, ROUGE-L and truth ratio; prob. = length-normalised answer probability and ROUGE = ROUGE-L recall on the forget, retain and paraphrased forget questions; privacy leak = Min-K% MIA AUC relative to Retrain in % (ideal 0); perplexity on held-out general text; RTE = unlearning run time (training time for Original and Retrain).",
  },
} satisfies Record<AnyStudyTable['kind'], { gaps: boolean; extras: ExtraColumn[]; note: string }>;

/** The column headers after the row name: the kind's metrics, the columns after them, and the repeats. */
export const headersOf = (table: AnyStudyTable) => [...table.columns.map((m) => (STUDY_COLUMNS[table.kind] as Record<string, { header: string }>)[m]!.header), ...LAYOUTS[table.kind].extras.map((c) => c.header), 'n'];

/** A row's cells in headersOf order; `pm` is how the format writes ±. */
export function cells(table: AnyStudyTable, row: Row, pm: string): Cell[] {
  const { gaps, extras } = LAYOUTS[table.kind];
  const metric = (m: string): Cell => {
    const cell = row.metrics?.[m];
    if (!cell) return { text: '-', best: false };
    const spread = row.repeats > 1 ? `${pm}${gaps ? fixed(cell.std) : adaptive(cell.std)}` : '';
    return { text: gaps ? `${fixed(cell.mean)}${spread} (${fixed(cell.gap)})` : `${adaptive(cell.mean)}${spread}`, best: row.best.includes(m) };
  };
  return [...table.columns.map(metric), ...extras.map((c) => c.cell(row, pm)), { text: `${row.repeats}/${row.planned}`, best: false }];
}

export const rowName = (row: Row) => (row.aggregator && !row.label.toLowerCase().includes(row.aggregator) ? `${row.label} [${row.aggregator}]` : row.label);

export function caption(table: AnyStudyTable): string {
  const unit = table.kind === 'classifier' ? 'samples' : 'question-answer pairs';
  const forget = table.forgetSet ? `${table.forgetSet.name}, ${table.forgetSet.size} ${unit}` : 'forget set not made yet';
  return `Study ${table.study}: ${table.model} on ${table.dataset}, ${forget}${table.backend ? `; backend ${table.backend}` : ''}`;
}

const LATEX_SPECIALS: Record<string, string> = { '\\': '\\textbackslash{}', '~': '\\textasciitilde{}', '^': '\\textasciicircum{}' };

/** Text as LaTeX typesets it literally: every special character escaped in one pass. */
export function escapeLatex(text: string): string {
  return text.replace(/[\\~^&%$#_{}]/g, (c) => LATEX_SPECIALS[c] ?? `\\${c}`);
}

/** What the relearning attack's columns mean, for a language-model study whose evaluation runs it. */
export const RELEARNING_NOTE =
  'Relearn prob. and Relearn ROUGE = probability and ROUGE-L of the held-back forget questions after the relearning attack (a few AdamW steps on the other forget pairs, on a copy of the model); Recovered P = the probability the attack brought back, P after − P before (negative: it fell); in these three columns the best is nearest Retrain, which never saw the forget people.';

/** The notes under a table: what its columns mean, and how its rows were chosen. */
export function notes(table: AnyStudyTable): string {
  const relearning = (table.columns as readonly string[]).includes('relearn_probability');
  const note = relearning ? `${LAYOUTS[table.kind].note} ${RELEARNING_NOTE}` : LAYOUTS[table.kind].note;
  return table.selection === 'best-avg-gap' ? `${note} ${SELECTION_NOTE}` : note;
}

const signed = (v: number) => `${v >= 0 ? '+' : ''}${v.toFixed(2)}`;

/** One comparison's cells: the rows compared, the seeds, A - B and its interval. */
function comparisonCells(c: StudyComparison): string[] {
  const name = (asked: string, row: string | null) => (row === null ? `${asked} (no runs)` : row);
  const d = c.difference;
  return [name(c.a, c.rowA), name(c.b, c.rowB), String(c.seeds.length), d ? signed(d.mean) : '-', d ? `[${signed(d.low)}, ${signed(d.high)}]` : '-'];
}

const COMPARISON_COLUMNS = ['A', 'B', 'seeds', 'A - B', 'interval'];

function comparisonTitle(comparisons: StudyComparison[]): string {
  const d = comparisons.find((c) => c.difference)?.difference;
  const level = d ? `${Math.round(d.confidence * 100)}% ` : '';
  return `Paired difference in Avg. Gap, A - B, mean over the seeds both have, with its ${level}percentile bootstrap interval${d ? ` (${d.resamples} resamples)` : ''}; negative: A is closer to Retrain. With n seeds the resampled means take few values, so the interval is coarse.`;
}

const LIRA_COLUMNS = ['Row', 'models', 'challenge eps mean (median)', 'Gaussian eps mean (median)', 'forgetting quality', 'score'];

function liraCells(l: StudyLira): string[] {
  const s = l.summary;
  const models = `${l.unlearned}+${l.retrained}/${2 * l.k}`;
  if (!s) return [l.label, models, '-', '-', '-', '-'];
  return [l.label, models, `${fixed(s.challengeEpsilonMean)} (${fixed(s.challengeEpsilonMedian)})`, `${fixed(s.gaussianEpsilonMean)} (${fixed(s.gaussianEpsilonMedian)})`, fixed(s.forgettingQuality, 3), fixed(s.score, 3)];
}

/** What the test's numbers mean and how coarse they are at this K. */
function liraTitle(lira: StudyLira[]): string {
  const s = lira.find((l) => l.summary)?.summary;
  const k = lira[0]!.k;
  const coarseness = s
    ? ` At K = ${k} the count-based epsilon is at most ${fixed(s.resolution)} where finite (50 when the samples separate), and two identical distributions already give a Gaussian-fit epsilon of about ${fixed(s.gaussianNoiseFloor)} on average: differences below that are noise; K = 32 or more resolves what the challenge did.`
    : '';
  return `Likelihood-ratio membership test against Retrain over the forget set (NeurIPS 2023 unlearning challenge / U-LiRA): K = ${k} unlearned and K Retrain models, seeds 1..K; per example the logit-scaled confidence, epsilon at delta = 1e-5 from the best threshold attack on the samples (challenge) and from pooled-variance Gaussian fits; forgetting quality = mean of 2^-floor(eps / 0.5); score = quality x RA ratio x TA ratio. Lower epsilon, higher quality: closer to Retrain.${coarseness}`;
}

/** Text lines in columns: the first `left` columns aligned left, the numbers right. */
function aligned(lines: string[][], left: number): string[] {
  const widths = lines[0]!.map((_, k) => Math.max(...lines.map((line) => line[k]!.length)));
  return lines.map((line) => line.map((v, k) => (k < left ? v.padEnd(widths[k]!) : v.padStart(widths[k]!))).join('  '));
}

function csvField(value: string): string {
  return /[",\n]/.test(value) ? `"${value.replace(/"/g, '""')}"` : value;
}

export function formatStudyTable(table: AnyStudyTable, format: TableFormat): string {
  const rows: Row[] = table.rows;
  const { extras } = LAYOUTS[table.kind];
  const COLUMNS = headersOf(table);
  switch (format) {
    case 'json':
      return JSON.stringify(table, null, 2);
    case 'csv': {
      const header = ['label', 'role', 'method', 'aggregator', 'repeats', 'planned'];
      for (const m of table.columns) header.push(`${m}_mean`, `${m}_std`, `${m}_gap`);
      header.push(...extras.flatMap((c) => c.csv.names), 'best');
      const lines = rows.map((r) => {
        const values: (string | number | null | undefined)[] = [r.label, r.role, r.method, r.aggregator, r.repeats, r.planned];
        for (const m of table.columns) values.push(r.metrics?.[m]?.mean, r.metrics?.[m]?.std, r.metrics?.[m]?.gap);
        values.push(...extras.flatMap((c) => c.csv.values(r)), r.best.join(' '));
        return values.map((v) => csvField(v === null || v === undefined ? '' : String(v))).join(',');
      });
      return [header.join(','), ...lines].join('\n');
    }
    case 'markdown': {
      const header = `| Method | ${COLUMNS.join(' | ')} |`;
      const rule = `|${['---', ...COLUMNS.map(() => '---:')].join('|')}|`;
      const lines = rows.map((r) => `| ${rowName(r)} | ${cells(table, r, ' ± ').map((c) => (c.best ? `**${c.text}**` : c.text)).join(' | ')} |`);
      const markdown = [`**${caption(table)}**`, '', header, rule, ...lines, '', `_${notes(table)}_`];
      if (table.comparisons?.length) {
        markdown.push('', `_${comparisonTitle(table.comparisons)}_`, '', `| ${COMPARISON_COLUMNS.join(' | ')} |`, '|---|---|---:|---:|---:|');
        for (const c of table.comparisons) markdown.push(`| ${comparisonCells(c).join(' | ')} |`);
      }
      if (table.lira?.length) {
        markdown.push('', `_${liraTitle(table.lira)}_`, '', `| ${LIRA_COLUMNS.join(' | ')} |`, `|---|${LIRA_COLUMNS.slice(1).map(() => '---:').join('|')}|`);
        for (const l of table.lira) markdown.push(`| ${liraCells(l).join(' | ')} |`);
      }
      return markdown.join('\n');
    }
    case 'latex': {
      const lines = rows.map((r, i) => {
        const body = cells(table, r, ' $\\pm$ ').map((c) => (c.best ? `\\textbf{${c.text}}` : c.text));
        const separator = r.role === 'retrain' && table.rows[i + 1]?.role === 'method' ? '\n\\midrule' : '';
        return `${escapeLatex(rowName(r))} & ${body.join(' & ')} \\\\${separator}`;
      });
      return [
        '\\begin{table}[t]',
        '\\centering',
        `\\caption{${escapeLatex(caption(table))}. ${escapeLatex(notes(table))}}`,
        // Eleven numeric columns are wider than a page: scaled to the text width (needs graphicx).
        '\\resizebox{\\textwidth}{!}{%',
        `\\begin{tabular}{l${'r'.repeat(COLUMNS.length)}}`,
        '\\toprule',
        `Method & ${COLUMNS.map((c) => escapeLatex(c)).join(' & ')} \\\\`,
        '\\midrule',
        ...lines,
        '\\bottomrule',
        '\\end{tabular}}',
        '\\end{table}',
      ].join('\n');
    }
    case 'text': {
      const body = rows.map((r) => [rowName(r), ...cells(table, r, '±').map((c) => (c.best ? `${c.text}*` : c.text))]);
      const header = ['Method', ...COLUMNS];
      const widths = header.map((h, k) => Math.max(h.length, ...body.map((line) => line[k]!.length)));
      const render = (line: string[]) => line.map((v, k) => (k === 0 ? v.padEnd(widths[k]!) : v.padStart(widths[k]!))).join('  ');
      const text = [caption(table), render(header), widths.map((w) => '-'.repeat(w)).join('  '), ...body.map(render), `* best among the methods. ${notes(table)}`];
      if (table.comparisons?.length) {
        text.push('', comparisonTitle(table.comparisons), ...aligned([COMPARISON_COLUMNS, ...table.comparisons.map(comparisonCells)], 2));
      }
      if (table.lira?.length) text.push('', liraTitle(table.lira), ...aligned([LIRA_COLUMNS, ...table.lira.map(liraCells)], 1));
      return text.join('\n');
    }
  }
}
