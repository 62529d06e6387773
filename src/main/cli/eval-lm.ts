/** `lethe eval-lm`: measures a language-model checkpoint (and its Retrain) as TOFU does. */
import type { LmEvaluationRequestInput, LmEvaluationSummary } from '../../shared/lm-evaluation.js';
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

Options:
  --retrain CHECKPOINT    the split's Retrain
  --split NAME            forget01 | forget05 | forget10 (default forget05)
  --retain-people N       retain people measured (default: as many as forgotten)`;

const OPTIONS = {
  retrain: { type: 'string' },
  split: { type: 'string' },
  'retain-people': { type: 'string' },
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

function table(rows: [string, LmEvaluationSummary][]): string {
  const header = ['model', ...COLUMNS.map(([name]) => name)];
  const cells = rows.map(([name, s]) => [name, ...COLUMNS.map(([, value]) => value(s).toFixed(3))]);
  const widths = header.map((h, i) => Math.max(h.length, ...cells.map((row) => row[i]!.length)));
  return [header, ...cells].map((row) => row.map((cell, i) => cell.padStart(widths[i]!)).join('  ')).join('\n');
}

async function handle(values: EvaluateLmValues, io: Output, [checkpoint]: string[]): Promise<number> {
  if (checkpoint === undefined) throw new UsageError('name the checkpoint to evaluate: lethe eval-lm CHECKPOINT (see --help)');
  const request: LmEvaluationRequestInput = { checkpoint, retrain: values.retrain, split: values.split as LmEvaluationRequestInput['split'], retainPeople: numberOption(values, 'retain-people') };
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
