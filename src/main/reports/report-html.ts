/**
 * The report as one self-contained HTML document (A4 print CSS, figures inline as SVG,
 * no script): what the PDF is printed from, in the app and from the command line.
 * Headings are h1-h3 in order, so the printed PDF's outline follows the sections.
 */
import YAML from 'yaml';
import { methodColors } from '../../shared/charts/method-colors.js';
import { STUDY_AXES, shownValue } from '../../shared/charts/study-axes.js';
import { caption, cells, headersOf, notes, rowName } from '../../shared/study-format.js';
import type { ParetoAnalysis, StudyKind } from '../../shared/study-config.js';
import { reportFigures, type FigureSection, type ReportFigure } from './report-figures.js';
import { isAvailable, type StudyReport } from './report-model.js';

const ESCAPES: Record<string, string> = { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' };
export const escapeHtml = (text: string) => text.replace(/[&<>"']/g, (c) => ESCAPES[c]!);

const iso = (ms: number | null) => (ms === null ? '–' : new Date(ms).toISOString().replace('T', ' ').slice(0, 19) + ' UTC');

/** What each column and figure means, as the report's readers need it, by the study's kind. */
const COMMON_DEFINITIONS: [string, string][] = [
  ['RTE', 'wall-clock run time of the unlearning (training time for Original and Retrain), in seconds on the backend listed under Runs.'],
  ['Pareto front', 'the runs no other run beats on both objectives; hypervolume: the area they dominate up to the reference point (larger is better).'],
  ['mean ± std', 'over a row’s repeats (seeds and learning rates); std is the sample standard deviation.'],
];

export const METRIC_DEFINITIONS: Record<StudyKind, [string, string][]> = {
  classifier: [
    ['UA', 'unlearning accuracy: 100 − accuracy on the forget set (%).'],
    ['RA', 'accuracy on the retain set (%).'],
    ['TA', 'accuracy on the test set (%; class-wise forgetting leaves the forgotten classes out).'],
    ['MIA', 'MIA-efficacy: share of forget samples a membership-inference attack (RBF SVM on the confidence p_y, trained on retain vs test) calls non-members (%).'],
    ['Gap', '|metric − Retrain’s metric| in percentage points, in brackets after each mean; Retrain, the model trained without the forget set, is the target.'],
    ['Avg. Gap', 'mean of the UA, RA, TA and MIA gaps; lower is better.'],
    ['Boundary', 'accuracy on the retain samples nearest the forget set (%).'],
    ['PGD', 'forget accuracy under a PGD attack toward the forgotten label (%).'],
    ['Relearn', 'fine-tuning steps on forget samples until the forget accuracy recovers.'],
    ['KS', 'Kolmogorov–Smirnov distance of a model’s forget scores to Retrain’s (0 = the same distribution).'],
    ...COMMON_DEFINITIONS,
  ],
  'language-model': [
    ['Forget quality', 'p-value of the Kolmogorov–Smirnov test between the model’s truth ratios on the forget questions and Retrain’s (TOFU, Maini et al. 2024); higher is closer to Retrain.'],
    ['Model utility', 'harmonic mean of the retain questions’ answer probability, ROUGE-L and truth ratio; higher is better.'],
    ['Prob.', 'length-normalised probability of the true answer, on the forget, retain and paraphrased forget questions.'],
    ['ROUGE', 'ROUGE-L recall of the model’s answer against the true one, on the same questions.'],
    ['Privacy leak', 'Min-K% membership-inference AUC on the forget set relative to Retrain’s, in % (ideal 0).'],
    ['Perplexity', 'perplexity on held-out general text.'],
    ...COMMON_DEFINITIONS,
  ],
};

/** The relearning attack's columns, defined where a language-model study's evaluation runs it. */
export const RELEARNING_DEFINITIONS: [string, string][] = [
  ['Relearn prob.', 'the relearning attack: a copy of the model is fine-tuned (AdamW, the study’s relearn steps and lr) on a seeded part of the forget pairs; this is the held-back forget questions’ length-normalised answer probability afterwards. Best nearest Retrain’s, a model that never saw the forget people.'],
  ['Relearn ROUGE', 'ROUGE-L recall of the greedy answers to the held-back forget questions after the relearning attack; best nearest Retrain’s.'],
  ['Recovered P', 'the held-back answers’ probability the attack brought back, P̄ after − P̄ before (negative where the fine-tuning lowered it); best nearest Retrain’s.'],
];

/** The definitions of a table's columns: its kind's, and the relearning attack's where the table has them. */
function definitionsOf(table: StudyReport['table']): [string, string][] {
  const relearning = (table.columns as readonly string[]).includes('relearn_probability');
  return relearning ? [...METRIC_DEFINITIONS[table.kind], ...RELEARNING_DEFINITIONS] : METRIC_DEFINITIONS[table.kind];
}

const STYLE = `
/* The margins are the printer's (pdf-printer.ts), which leave room for the page numbers. */
@page { size: A4; }
* { box-sizing: border-box; }
body { font-family: 'DejaVu Sans', 'Liberation Sans', Arial, sans-serif; font-size: 9pt; color: #1b1b1b; margin: 0; line-height: 1.35; }
h1 { font-size: 18pt; margin: 0 0 2mm; }
h2 { font-size: 13pt; margin: 7mm 0 2mm; border-bottom: 0.4pt solid #999; padding-bottom: 1mm; break-after: avoid; }
h3 { font-size: 10.5pt; margin: 4mm 0 1.5mm; break-after: avoid; }
p { margin: 1mm 0 2mm; }
.muted { color: #555; }
.new-page { break-before: page; }
table { border-collapse: collapse; width: 100%; margin: 2mm 0; font-variant-numeric: tabular-nums; }
th, td { padding: 0.8mm 1.4mm; text-align: right; vertical-align: top; }
th:first-child, td:first-child { text-align: left; }
thead th { border-top: 1pt solid #000; border-bottom: 0.5pt solid #000; }
tbody tr:last-child td { border-bottom: 1pt solid #000; }
tr { break-inside: avoid; }
tr.reference-end td { border-bottom: 0.5pt solid #000; }
table.results { font-size: 6.3pt; }
/* Whole cells on one line: a table wider than the page makes Chromium scale the page down, never split a number from its gap. */
table.results th, table.results td { padding: 0.8mm 0.9mm; white-space: nowrap; }
table.runs { font-size: 6.6pt; }
table.runs td, table.runs th { text-align: left; }
table.facts td, table.facts th { text-align: left; }
table.facts td { overflow-wrap: anywhere; }
table.facts th { width: 34mm; white-space: nowrap; font-weight: 600; border: 0; }
.best { font-weight: 700; }
.mono { font-family: 'DejaVu Sans Mono', 'Liberation Mono', monospace; }
.hash { font-family: 'DejaVu Sans Mono', 'Liberation Mono', monospace; font-size: 6.2pt; white-space: nowrap; }
.status-failed, .status-cancelled { color: #b00020; font-weight: 700; }
.swatch { display: inline-block; width: 2.2mm; height: 2.2mm; margin-right: 1mm; border-radius: 0.4mm; }
figure { margin: 2mm 0 4mm; break-inside: avoid; }
figure svg { display: block; max-width: 100%; height: auto; margin: 0 auto; }
figcaption { font-size: 8pt; color: #444; text-align: center; margin-top: 1mm; }
.grid { display: grid; grid-template-columns: 1fr 1fr; gap: 2mm 4mm; }
dl { display: grid; grid-template-columns: 22mm 1fr; gap: 1mm 3mm; margin: 2mm 0; }
dt { font-weight: 700; }
dd { margin: 0; }
pre { font-size: 7pt; background: #f4f4f4; padding: 2mm; white-space: pre-wrap; column-count: 3; column-gap: 6mm; }
.unavailable { color: #8a4b00; }
`;

function resultsTable(report: StudyReport): string {
  const colorOf = methodColors(report.table.rows.map((r) => r.label));
  const header = `<tr><th>Method</th>${headersOf(report.table).map((c) => `<th>${escapeHtml(c)}</th>`).join('')}</tr>`;
  const rows = report.table.rows.map((row, i) => {
    const next = report.table.rows[i + 1];
    const referenceEnd = row.role !== 'method' && next?.role === 'method' ? ' class="reference-end"' : '';
    const body = cells(report.table, row, ' ± ')
      .map((c) => `<td${c.best ? ' class="best"' : ''}>${escapeHtml(c.text)}</td>`)
      .join('');
    return `<tr${referenceEnd}><td><span class="swatch" style="background:${colorOf(row.label)}"></span>${escapeHtml(rowName(row))}</td>${body}</tr>`;
  });
  return `<table class="results"><thead>${header}</thead><tbody>${rows.join('')}</tbody></table>
<p class="muted">${escapeHtml(caption(report.table))}. Bold: best among the methods. ${escapeHtml(notes(report.table))}</p>`;
}

function figureHtml(figure: ReportFigure): string {
  return `<figure id="${figure.id}">${figure.svg}<figcaption>${escapeHtml(figure.caption)}</figcaption></figure>`;
}

function frontTable(analysis: ParetoAnalysis): string {
  const [x, y] = analysis.objectives as [keyof typeof STUDY_AXES, keyof typeof STUDY_AXES];
  const value = (o: keyof typeof STUDY_AXES, v: number) => `${shownValue(o, v).toFixed(2)} ${STUDY_AXES[o].unit}`;
  const rows = analysis.points
    .filter((p) => !p.dominated)
    .map((p) => `<tr><td>${escapeHtml(p.label)}</td><td class="mono">${p.runId.slice(0, 8)}</td><td>${p.seed ?? '–'}</td><td>${value(x, p.values[0]!)}</td><td>${value(y, p.values[1]!)}</td></tr>`);
  return `<p>Hypervolume <strong>${analysis.hypervolume.toPrecision(4)}</strong> against the reference point (${analysis.reference.map((v, k) => value(analysis.objectives[k] as keyof typeof STUDY_AXES, v)).join(', ')}); ${rows.length} of ${analysis.points.length} runs non-dominated:</p>
<table class="runs"><thead><tr><th>Method</th><th>Run</th><th>Seed</th><th>${STUDY_AXES[x].name}</th><th>${STUDY_AXES[y].name}</th></tr></thead><tbody>${rows.join('')}</tbody></table>`;
}

function forgottenSection(report: StudyReport): string {
  const { table, forgetSet, environment } = report;
  const facts: [string, string][] = [
    ['Dataset', `${escapeHtml(table.dataset)}${environment.dataset ? ` <span class="hash">${environment.dataset.digest}</span>` : ''}`],
    ...(environment.dataset?.splits ?? []).map((s): [string, string] => [
      `Split (seed ${s.seed})`,
      `${s.counts.train} train, ${s.counts.heldOut} held out, ${s.counts.test} test <span class="hash">${s.digest}</span>`,
    ]),
    ['Model', escapeHtml(table.model)],
  ];
  if (table.kind === 'language-model') {
    // A split of the facts dataset, not a catalogued forget set.
    facts.push(['Forget split', table.forgetSet ? `${escapeHtml(table.forgetSet.name)}: ${table.forgetSet.size} question-answer pairs` : 'not evaluated yet']);
  } else if (forgetSet) {
    facts.push(
      ['Forget set', `${escapeHtml(forgetSet.name)}: ${forgetSet.size} samples`],
      ['Forget rule', `<span class="mono">${escapeHtml(JSON.stringify(forgetSet.rule))}</span>${forgetSet.seed === null ? '' : `, seed ${forgetSet.seed}`}`],
      ['Forget set digest', `<span class="hash">${forgetSet.digest}</span>`],
    );
  } else facts.push(['Forget set', 'not made yet']);
  return `<table class="facts"><tbody>${facts.map(([k, v]) => `<tr><th>${escapeHtml(k)}</th><td>${v}</td></tr>`).join('')}</tbody></table>`;
}

function runsTable(report: StudyReport): string {
  const rows = report.runs.map(({ run, label }) => {
    const backend = run.backend ? `${run.backend}${run.device ? ` · ${run.device}` : ''}` : '–';
    const error = run.error ? `<br><span class="status-failed">${escapeHtml(run.error)}</span>` : '';
    return `<tr data-status="${run.status}"><td>${escapeHtml(label)}<br><span class="hash">${run.id}</span>${error}</td><td>${run.kind}</td><td class="status-${run.status}">${run.status}</td><td>${run.seed ?? '–'}</td><td><span class="hash">${run.configHash}</span><br>${escapeHtml(backend)}, app ${escapeHtml(run.appVersion)}, ${iso(run.startedAt)}${run.durationSeconds === null ? '' : `, ${run.durationSeconds.toFixed(1)} s`}</td></tr>`;
  });
  const failed = report.runs.filter((r) => r.run.status === 'failed').length;
  return `<p>${report.runs.length} runs${failed ? `, <span class="status-failed">${failed} failed</span>` : ''}; each with its id, config hash (SHA-256 of its full config), backend and device.</p>
<table class="runs"><thead><tr><th>Run</th><th>Kind</th><th>Status</th><th>Seed</th><th>Config hash · backend, device · app version, start, duration</th></tr></thead><tbody>${rows.join('')}</tbody></table>`;
}

function provenanceSection(report: StudyReport): string {
  const { environment } = report;
  const backends = [...new Set(report.runs.filter((r) => r.run.backend).map((r) => `${r.run.backend} (${r.run.device ?? 'unknown device'})`))];
  const kernels = [...new Set(report.runs.flatMap((r) => (r.run.kernels ? [`${r.run.backend}: ${r.run.kernels}`] : [])))];
  const facts: [string, string][] = [
    ['Lethe', `${escapeHtml(environment.appVersion)}${environment.commit ? `, commit <span class="hash">${environment.commit}</span>` : ''}`],
    ['Backends and devices', backends.length ? backends.map(escapeHtml).join('<br>') : 'no run started yet'],
    ['Kernels', kernels.length ? kernels.map(escapeHtml).join('<br>') : 'not recorded (no wasm run, or runs made before Lethe recorded them)'],
    ['Node.js', escapeHtml(environment.versions.node)],
    ['Electron', escapeHtml(environment.versions.electron ?? 'not used (report made outside the app)')],
    ['TensorFlow.js', escapeHtml(environment.versions.tfjs ?? 'unknown')],
    ['Report made', iso(report.generatedAt)],
  ];
  const config = report.study.config ? YAML.stringify(report.study.config) : 'no config recorded';
  return `<table class="facts"><tbody>${facts.map(([k, v]) => `<tr><th>${escapeHtml(k)}</th><td>${v}</td></tr>`).join('')}</tbody></table>
<h3>The study file</h3><pre>${escapeHtml(config)}</pre>`;
}

function figuresOf(figures: ReportFigure[], section: FigureSection): ReportFigure[] {
  return figures.filter((f) => f.section === section);
}

/** The whole report as HTML; `figures` defaults to the report's own, rendered here. */
export function reportHtml(report: StudyReport, figures: ReportFigure[] = reportFigures(report)): string {
  const { table, study } = report;
  const title = `Study report: ${table.study}`;
  const paretoParts = report.paretos.map((analysis) => {
    const [x, y] = analysis.objectives as [keyof typeof STUDY_AXES, keyof typeof STUDY_AXES];
    const heading = `<h3>${escapeHtml(STUDY_AXES[x].name)} against ${escapeHtml(STUDY_AXES[y].name)}</h3>`;
    if (!isAvailable(analysis)) return `${heading}<p class="unavailable">Not available: ${escapeHtml(analysis.unavailable)}.</p>`;
    const figure = figures.find((f) => f.id === `pareto-${x}-${y}`);
    return `${heading}${figure ? figureHtml(figure) : ''}${frontTable(analysis)}`;
  });
  const mia = isAvailable(report.histograms)
    ? `<p>Scores: ${escapeHtml(report.histograms.score)}; share of each group per bin on shared bins, forget as bars, test as a line.</p><div class="grid">${figuresOf(figures, 'mia').map(figureHtml).join('')}</div>`
    : `<p class="unavailable">Not available: ${escapeHtml(report.histograms.unavailable)}.</p>`;
  const traces = figuresOf(figures, 'traces');
  return `<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><title>${escapeHtml(title)}</title><style>${STYLE}</style></head>
<body>
<h1>${escapeHtml(title)}</h1>
<p class="muted">${escapeHtml(table.model)} on ${escapeHtml(table.dataset)} · made ${iso(report.generatedAt)} with Lethe ${escapeHtml(report.environment.appVersion)}</p>
${study.description ? `<p>${escapeHtml(study.description)}</p>` : ''}
<h2>What was forgotten</h2>
${forgottenSection(report)}
<h2>Results</h2>
${resultsTable(report)}
<h2 class="new-page">Pareto fronts</h2>
${paretoParts.join('\n')}
<h2>Membership inference</h2>
${mia}
<h2>Traces of the multi-objective runs</h2>
${traces.length ? traces.map(figureHtml).join('\n') : '<p class="muted">The study has no evaluated multi-objective run.</p>'}
<h2>Definitions</h2>
<dl>${definitionsOf(table).map(([term, meaning]) => `<dt>${escapeHtml(term)}</dt><dd>${escapeHtml(meaning)}</dd>`).join('')}</dl>
<h2 class="new-page">Provenance</h2>
${provenanceSection(report)}
<h2>Runs</h2>
${runsTable(report)}
</body></html>
`;
}
