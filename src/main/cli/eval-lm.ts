/** `lethe eval-lm`: measures a language-model checkpoint (and its Retrain) as TOFU does. */
import { DEFAULT_RELEARNING, type LmEvaluationRequestInput, type LmEvaluationSummary } from '../../shared/lm-evaluation.js';
import { defineCommand, numberOption, UsageError, withService, type OptionSpecs, type Output, type Values } from './command.js';

const HELP = `Usage: lethe eval-lm CHECKPOINT [--retrain CHECKPOINT] [--split forget05] [options]

Measures a language-model checkpoint on the facts dataset it was trained with, as
TOFU does (docs/lm-unlearning.md): on the split's forget people, on as many retain
people (or --retain-people N) and on the forget set's paraphrased questions, the
answer probability, ROUGE-L recall and exact match of greedy answers; truth
ratios; loss and Min-K% membership AUCs against held-out people; perplexity on
held-out text; model utility. With --retrain (the Retrain of the same split):
forget quality (KS-test p-value of the forget truth ratios) and privacy leak.
Records nothing in the catalog yet.

With --relearn-steps N (N > 0) it also runs the relearning attack on a copy of
each model (the checkpoints are not changed): N AdamW steps on a seeded part of
the forget pairs, then the held-back forget pairs' probability, ROUGE-L and
exact match before and after, and the probability recovered, P_after - P_before
(negative where the fine-tuning lowered it). The Retrain's numbers are the
baseline: what the same fine-tuning gives a model that never saw those people.

Options:
  --retrain CHECKPOINT    the split's Retrain
  --split NAME            forget01 | forget05 | forget10 (default forget05)
  --retain-people N       retain people measured (default: as many as forgotten)
  --relearn-steps N       relearning attack steps (default 0: no attack)
  --relearn-lr X          its learning rate (default ${DEFAULT_RELEARNING.lr})
  --relearn-batch-size N  its batch size (default ${DEFAULT_RELEARNING.batchSize})
  --relearn-fraction X    share of the forget pairs fine-tuned on, in (0, 1) (default ${DEFAULT_RELEARNING.fraction})
  --relearn-seed N        seed of that split and of the batches (default ${DEFAULT_RELEARNING.seed})`;

const OPTIONS = {
  retrain: { type: 'string' },
  split: { type: 'string' },
  'retain-people': { type: 'string' },
  'relearn-steps': { type: 'string' },
  'relearn-lr': { type: 'string' },
  'relearn-batch-size': { type: 'string' },
  'relearn-fraction': { type: 'string' },
  'relearn-seed': { type: 'string' },
} satisfies OptionSpecs;

type EvaluateLmValues = Values<typeof OPTIONS>;

const COLUMNS: [string, (s: LmEvaluationSummary) => number][] = [
  ['forget P', (s) => s.forget.probability],
  ['forget ROUGE', (s) => s.forget.rougeL],
  ['forget EM', (s) => s.forget.exactMatch],
  ['para ROUGE', (s) => s.forgetParaphrased.rougeL],
  ['forget TR', (s) => s.forget.truthRatio],
  ['retain P', (s) => s.retain.probability],
  ['retain ROUGE', (s) => s.retain.rougeL],
  ['retain TR', (s) => s.retain.truthRatio],
  ['utility', (s) => s.modelUtility],
  ['loss AUC', (s) => s.lossAuc],
  ['MinK AUC', (s) => s.minKAuc],
  ['PPL', (s) => s.fluencyPerplexity],
];

/** The relearning attack's numbers, on the held-back forget pairs. */
const RELEARNING_COLUMNS: [string, (s: LmEvaluationSummary) => number][] = [
  ['P before', (s) => s.relearning!.before.probability],
  ['P after', (s) => s.relearning!.after.probability],
  ['ROUGE before', (s) => s.relearning!.before.rougeL],
  ['ROUGE after', (s) => s.relearning!.after.rougeL],
  ['EM before', (s) => s.relearning!.before.exactMatch],
  ['EM after', (s) => s.relearning!.after.exactMatch],
  ['recovered P', (s) => s.relearning!.recoveredProbability],
];

/** The relearning request the flags ask for: none without --relearn-steps N > 0, and its other flags refused then. */
function relearnOption(values: EvaluateLmValues): LmEvaluationRequestInput['relearn'] {
  const steps = numberOption(values, 'relearn-steps');
  const settings = { lr: numberOption(values, 'relearn-lr'), batchSize: numberOption(values, 'relearn-batch-size'), fraction: numberOption(values, 'relearn-fraction'), seed: numberOption(values, 'relearn-seed') };
  if (steps === undefined || steps === 0) {
    const stray = (['relearn-lr', 'relearn-batch-size', 'relearn-fraction', 'relearn-seed'] as const).find((name) => values[name] !== undefined);
    if (stray !== undefined) throw new UsageError(`--${stray} sets the relearning attack, which runs only with --relearn-steps N (N > 0)`);
    return undefined;
  }
  return { steps, ...settings };
}

function table(rows: [string, LmEvaluationSummary][], columns = COLUMNS): string {
  const header = ['model', ...columns.map(([name]) => name)];
  const cells = rows.map(([name, s]) => [name, ...columns.map(([, value]) => value(s).toFixed(3))]);
  const widths = header.map((h, i) => Math.max(h.length, ...cells.map((row) => row[i]!.length)));
  return [header, ...cells].map((row) => row.map((cell, i) => cell.padStart(widths[i]!)).join('  ')).join('\n');
}

async function handle(values: EvaluateLmValues, io: Output, [checkpoint]: string[]): Promise<number> {
  if (checkpoint === undefined) throw new UsageError('name the checkpoint to evaluate: lethe eval-lm CHECKPOINT (see --help)');
  const request: LmEvaluationRequestInput = { checkpoint, retrain: values.retrain, split: values.split as LmEvaluationRequestInput['split'], retainPeople: numberOption(values, 'retain-people'), relearn: relearnOption(values) };
  return withService(values, async (service) => {
    const outcome = await service.evaluateLanguageModel(request);
    if (values.json) {
      io.out(JSON.stringify(outcome, null, 2));
      return 0;
    }
    const rows: [string, LmEvaluationSummary][] = [[outcome.checkpoint.hash.slice(0, 12), outcome.model]];
    if (outcome.retrain) rows.push([`Retrain ${outcome.retrain.checkpoint.hash.slice(0, 4)}`, outcome.retrain]);
    io.out(`${outcome.split}: ${outcome.model.forget.count} forget and ${outcome.model.retain.count} retain questions`);
    io.out(table(rows));
    if (outcome.versusRetrain) {
      const { forgetQuality, privacyLeak } = outcome.versusRetrain;
      io.out(`forget quality ${forgetQuality.toPrecision(3)} (log10 ${Math.log10(forgetQuality).toFixed(2)}); privacy leak ${privacyLeak.loss.toFixed(1)} % (loss), ${privacyLeak.minK.toFixed(1)} % (Min-K%)`);
    }
    const relearning = outcome.model.relearning;
    if (relearning) {
      io.out(`relearning attack: ${request.relearn!.steps} steps on ${relearning.relearnPairs} forget pairs, measured on the ${relearning.before.count} held back`);
      io.out(table(rows, RELEARNING_COLUMNS));
    }
    return 0;
  });
}

export const evalLmCommand = defineCommand({
  name: 'eval-lm',
  summary: 'measure a language-model checkpoint as TOFU does (with --retrain: forget quality)',
  help: HELP,
  options: OPTIONS,
  positionals: 1,
  run: handle,
});
