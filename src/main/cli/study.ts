/** `lethe study`: runs a study from a YAML config, and shows, lists or analyses studies. */
import fs from 'node:fs';
import YAML from 'yaml';
import { LM_PARETO_OBJECTIVES, PARETO_OBJECTIVES, type ParetoObjective, type StudyConfigInput } from '../../shared/study-config.js';
import { formatStudyTable, TABLE_FORMATS, type TableFormat } from '../../shared/study-format.js';
import { bestGridPoints, compareRows } from '../../shared/study-selection.js';
import { InvalidRequestError } from '../../shared/validation.js';
import { defineCommand, numberOption, UsageError, withService, type OptionSpecs, type Output, type Values } from './command.js';

const HELP = `Usage: lethe study run CONFIG.yaml [--queue redis://HOST:PORT [--attempts N]] [--json] [--data-dir DIR]
       lethe study show NAME [--format text|markdown|csv|json|latex] [--best] [--compare A:B,A:C]
       lethe study pareto NAME --objectives A,B[,C] [--reference X,Y[,Z]] [--json]
       lethe study list [--json]

A study compares unlearning methods on one dataset and one forget set against one
original model and one Retrain. 'run' creates what the catalog does not have yet:
the original (trained from the config's recipe), the forget set, Retrain (the same
recipe on the retain set), every (method, learning rate, seed) run, and an
evaluation of each checkpoint (UA, RA, TA, MIA, boundary, PGD, relearning). Runs
whose config the catalog already holds as finished are skipped, so running it again
after a crash or with new entries only does what is missing. The table is printed
at the end.

With --queue the runs go to workers ('lethe worker') through a BullMQ queue on
Redis, all at once after the original; 'lethe serve' must be running on this data
directory for the workers' transfers (docs/distributed.md). A job that fails
--attempts times (default 3) is recorded failed with each attempt's error.

'show' prints the table: UA, RA, TA, MIA as mean +- std over repeats with the gap
to Retrain in brackets, Avg. Gap, RTE, best per column marked. An entry with a grid
has one row per grid point; --best keeps each entry's grid point with the lowest
Avg. Gap (a selection that uses Retrain, as the papers' does; the table says so).
The config's comparisons, or --compare A:B,..., add the paired difference in
Avg. Gap of A and B over the seeds both have, with a 95% bootstrap interval (an
entry with a grid stands for its best grid point). A study whose dataset is facts
is of language models (docs/lm-unlearning.md): its table is TOFU's (forget
quality, model utility, forget/retain/paraphrase probability and ROUGE-L, privacy
leak, perplexity, with evaluation.relearn the relearning attack's columns, RTE)
and its Pareto objectives forget_quality, model_utility, RTE; its grids are over
lr and steps; comparisons, --best, --compare and lira are of classifier studies.

'pareto' lists the non-dominated method runs over two or three objectives, all
minimised: UA_gap, RA_gap, TA_gap, MIA_gap, avg_gap, RA, TA (accuracies enter
negated) and RTE, with the hypervolume against --reference (default: each
objective's worst value plus 10% of its range).

Config (YAML):
  name: fashion-demo
  dataset: fashion-mnist
  model: mlp
  original: { epochs: 5, batchSize: 128, lr: 0.05 }   # train options
  retrain: { epochs: 5 }                              # optional overrides
  forget: { kind: random, percent: 10, seed: 1 }      # or classes: [..]
  seeds: [1, 2]                                        # repeats of each method
  evaluation: { relearnBudget: 50, pgd: true }         # evaluation checks
  methods:
    - { label: FT, method: ft, epochs: 2 }
    - { label: RAUL-UniDist-UPGrad, method: raul, reference: uniform,
        aggregator: upgrad, lr: [0.001, 0.005] }       # a sweep: repeats too
    - { label: GA, method: ga, grid: { lr: [1e-4, 1e-3], epochs: [2, 5] } }
                                                       # a grid: a row per point
  comparisons: [[RAUL-UniDist-UPGrad, GA]]             # paired, with an interval
  lira: { k: 8, rows: [FT] }                           # likelihood-ratio test:
                                                       # K unlearned + K Retrain models

Example: lethe study run studies/fashion-mnist-demo.yaml`;

const OPTIONS = {
  format: { type: 'string' },
  objectives: { type: 'string' },
  reference: { type: 'string' },
  queue: { type: 'string' },
  attempts: { type: 'string' },
  best: { type: 'boolean' },
  compare: { type: 'string' },
} satisfies OptionSpecs;

type StudyValues = Values<typeof OPTIONS>;

function numberList(values: StudyValues, name: 'reference'): number[] | undefined {
  const raw = values[name];
  if (raw === undefined) return undefined;
  return raw.split(',').map((part) => {
    const n = Number(part);
    if (part.trim() === '' || !Number.isFinite(n)) throw new UsageError(`--${name} must be comma-separated numbers, got '${raw}'`);
    return n;
  });
}

/** --compare A:B,C:D as label pairs. */
function comparisonPairs(raw: string): [string, string][] {
  return raw.split(',').map((pair) => {
    const labels = pair.split(':').map((label) => label.trim());
    if (labels.length !== 2 || labels.some((label) => label === '')) throw new UsageError(`--compare takes pairs A:B separated by commas, got '${pair}'`);
    return labels as [string, string];
  });
}

function readStudyFile(file: string): unknown {
  let text: string;
  try {
    text = fs.readFileSync(file, 'utf8');
  } catch (error) {
    throw new UsageError(`cannot read the study config ${file}: ${(error as Error).message}`);
  }
  try {
    return YAML.parse(text);
  } catch (error) {
    throw new InvalidRequestError(`${file} is not valid YAML: ${(error as Error).message}`);
  }
}

async function handle(values: StudyValues, io: Output, [action, argument]: string[]): Promise<number> {
  const format = (values.format ?? 'text') as TableFormat;
  if (!(TABLE_FORMATS as readonly string[]).includes(format)) throw new UsageError(`--format must be one of ${TABLE_FORMATS.join(', ')}, got '${values.format}'`);
  return withService(values, async (service) => {
    switch (action) {
      case 'list': {
        const studies = await service.listStudies();
        if (values.json) io.out(JSON.stringify(studies, null, 2));
        else if (studies.length === 0) io.out('no studies yet (lethe study run CONFIG.yaml)');
        else for (const s of studies) io.out(`${s.name}  ${s.runIds.length} runs${s.description ? `  ${s.description}` : ''}`);
        return 0;
      }
      case 'show': {
        if (!argument) throw new UsageError('name the study (see lethe study list)');
        const pairs = values.compare === undefined ? undefined : comparisonPairs(values.compare);
        const shown = await service.getStudyTable(argument);
        if (pairs === undefined && !values.best) {
          io.out(formatStudyTable(shown, values.json ? 'json' : format));
          return 0;
        }
        const option = values.best ? '--best' : '--compare';
        if (shown.kind !== 'classifier') throw new UsageError(`${option}: study '${shown.study}' is a ${shown.kind} study; grid points and comparisons go by Avg. Gap, which only classifier studies have`);
        let table = shown;
        if (pairs) {
          const known = new Set(table.rows.flatMap((r) => [r.label, r.entry]));
          const unknown = pairs.flat().find((label) => !known.has(label));
          if (unknown !== undefined) throw new UsageError(`--compare: '${unknown}' is not a row or entry of study '${table.study}'`);
          table = { ...table, comparisons: compareRows(table, pairs) };
        }
        io.out(formatStudyTable(values.best ? bestGridPoints(table) : table, values.json ? 'json' : format));
        return 0;
      }
      case 'pareto': {
        if (!argument) throw new UsageError('name the study (see lethe study list)');
        if (!values.objectives) throw new UsageError(`--objectives is required: two or three of ${PARETO_OBJECTIVES.join(', ')} (language-model studies: ${LM_PARETO_OBJECTIVES.join(', ')})`);
        const analysis = await service.getStudyPareto({ study: argument, objectives: values.objectives.split(',') as ParetoObjective[], reference: numberList(values, 'reference') });
        if (values.json) {
          io.out(JSON.stringify(analysis, null, 2));
          return 0;
        }
        io.out(`objectives (minimised): ${analysis.objectives.join(', ')}; reference point (${analysis.reference.map((v) => v.toFixed(3)).join(', ')}); hypervolume ${analysis.hypervolume.toFixed(4)}`);
        for (const p of analysis.points) {
          const where = [p.seed === null ? '' : `seed ${p.seed}`, p.lr === null ? '' : `lr ${p.lr}`].filter(Boolean).join(', ');
          io.out(`${p.dominated ? ' ' : '*'} ${p.label}${where ? ` (${where})` : ''}: ${p.values.map((v) => v.toFixed(3)).join(', ')}`);
        }
        io.out('* non-dominated');
        return 0;
      }
      case 'run': {
        if (!argument) throw new UsageError('give the study config file (see lethe study --help)');
        const config = readStudyFile(argument);
        const stop = service.subscribe((event) => {
          if (event.type === 'run-notice' && !values.json) io.err(`  note: ${event.message}`);
          if (event.type !== 'study-progress') return;
          const p = event.progress;
          const step = `[${p.done}/${p.total}]`;
          if (p.status === 'skipped') io.err(`${step} ${p.label}: already in the catalog (run ${p.runId.slice(0, 8)})`);
          else if (p.status === 'started') io.err(`${step} ${p.label}: ${p.kind} run ${p.runId.slice(0, 8)} started`);
          else if (p.status === 'finished') io.err(`${step} ${p.label}: finished`);
          else io.err(`${step} ${p.label}: ${p.status}${p.error ? ` (${p.error})` : ''}`);
        });
        let outcome;
        let interrupted = false;
        const onSigint = () => {
          interrupted = true;
          io.err('stopping: the running run is cancelled; lethe study run again resumes');
          void service.cancelActiveRuns();
        };
        process.on('SIGINT', onSigint);
        try {
          outcome = await service.runStudy(config as StudyConfigInput, { queue: values.queue, attempts: numberOption(values, 'attempts') });
        } catch (error) {
          // The cancelled run stops the study: that is the Ctrl-C asked for, not a failure.
          if (!interrupted) throw error;
          io.err(`lethe study: ${(error as Error).message}`);
          return 130;
        } finally {
          process.off('SIGINT', onSigint);
          stop();
        }
        const table = await service.getStudyTable(outcome.study);
        if (values.json) io.out(JSON.stringify({ ...outcome, table }, null, 2));
        else {
          io.err(`study ${outcome.study}: ${outcome.created} runs made, ${outcome.skipped} already in the catalog, ${outcome.failed.length} failed`);
          for (const f of outcome.failed) io.err(`  failed: ${f.label} (run ${f.runId.slice(0, 8)}): ${f.error}`);
          io.out(formatStudyTable(table, format));
        }
        return outcome.failed.length > 0 ? 1 : interrupted ? 130 : 0;
      }
      default:
        throw new UsageError(action === undefined ? 'name an action: run, show, pareto or list (see lethe study --help)' : `unknown study action '${action}' (run, show, pareto or list)`);
    }
  });
}

export const studyCommand = defineCommand({
  name: 'study',
  summary: 'run a study from a YAML config and print its table, or show it',
  help: HELP,
  options: OPTIONS,
  positionals: 2,
  run: handle,
});
