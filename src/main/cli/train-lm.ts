/** `lethe train-lm`: trains a language model on the facts dataset (an original, or a Retrain) and shows its progress. */
import { formatDuration } from '../../shared/format.js';
import { TRANSFORMER_MODELS, type LmTrainConfigInput } from '../../shared/lm-train-config.js';
import { defineCommand, followRun, numberOption, unfinished, withService, type OptionSpecs, type Output, type Values } from './command.js';
import { formatProgress } from './progress-bar.js';

const HELP = `Usage: lethe train-lm [options]

Trains a decoder-only transformer on the generated facts dataset (fictitious
people's facts as question-answer pairs, loss on the answers; see
docs/lm-unlearning.md), records the run and writes a checkpoint with its
tokenizer. With --retain-of it trains the Retrain of that forget split: the
retain people only, never a forget person's pair.

Model and data:
  --model NAME            ${TRANSFORMER_MODELS.join(' | ')} (default transformer-small)
  --people N              trained people (default 200; 10% more are held out)
  --attributes N          facts per person, at most 20 (default 20)
  --general-sentences N   general training sentences (default 400)
  --dataset-seed N        seed of the generated people (default 0)
  --retain-of SPLIT       forget01 | forget05 | forget10: train the Retrain

Training (AdamW, linear warm-up then cosine decay):
  --epochs N              passes over the pairs (default 30)
  --batch-size N          sequences per step (default 32)
  --lr X                  peak learning rate (default 3e-3)
  --weight-decay X        decoupled weight decay (default 0.01)
  --warmup X              share of the steps spent warming up (default 0.05)
  --clip-norm X           largest global gradient norm (default 1)
  --seed N                initialisation and shuffling seed (default 0)

Example:
  lethe train-lm --model transformer-small --epochs 30
  lethe train-lm --model transformer-small --epochs 30 --retain-of forget05`;

export const TRAIN_LM_OPTIONS = {
  model: { type: 'string' },
  people: { type: 'string' },
  attributes: { type: 'string' },
  'general-sentences': { type: 'string' },
  'dataset-seed': { type: 'string' },
  'retain-of': { type: 'string' },
  epochs: { type: 'string' },
  'batch-size': { type: 'string' },
  lr: { type: 'string' },
  'weight-decay': { type: 'string' },
  warmup: { type: 'string' },
  'clip-norm': { type: 'string' },
  seed: { type: 'string' },
} satisfies OptionSpecs;

type TrainLmValues = Values<typeof TRAIN_LM_OPTIONS>;

function configFromOptions(values: TrainLmValues): LmTrainConfigInput {
  const input: Record<string, unknown> = {
    model: values.model,
    people: numberOption(values, 'people'),
    attributes: numberOption(values, 'attributes'),
    generalSentences: numberOption(values, 'general-sentences'),
    datasetSeed: numberOption(values, 'dataset-seed'),
    retainOf: values['retain-of'],
    epochs: numberOption(values, 'epochs'),
    batchSize: numberOption(values, 'batch-size'),
    lr: numberOption(values, 'lr'),
    weightDecay: numberOption(values, 'weight-decay'),
    warmupFraction: numberOption(values, 'warmup'),
    clipNorm: numberOption(values, 'clip-norm'),
    seed: numberOption(values, 'seed'),
  };
  return Object.fromEntries(Object.entries(input).filter(([, v]) => v !== undefined)) as LmTrainConfigInput;
}

/** Logs and pipes get a progress line now and then instead of a redrawn bar (as lethe train does). */
const PLAIN_PROGRESS_INTERVAL_MS = 15_000;

async function handle(values: TrainLmValues, io: Output): Promise<number> {
  const config = configFromOptions(values);
  const quiet = values.json === true;
  let lastPlainProgress = Date.now();
  return withService(values, async (service) => {
    const run = await followRun(
      service,
      () => service.startLanguageModelTraining(config),
      (event) => {
        if (event.type === 'run-notice') io.err(`note: ${event.message}`);
        else if (event.type === 'run-progress' && !quiet) {
          if (io.isTTY) process.stderr.write(`\r${formatProgress(event.progress)}`);
          else if (Date.now() - lastPlainProgress >= PLAIN_PROGRESS_INTERVAL_MS) {
            lastPlainProgress = Date.now();
            io.err(formatProgress(event.progress));
          }
        }
      },
      io,
    );
    if (io.isTTY && !quiet) process.stderr.write('\n');
    const detail = await service.getRun(run.id);
    if (quiet) io.out(JSON.stringify(detail, null, 2));
    const failed = unfinished(run, io);
    if (failed !== undefined) return failed;
    if (!quiet) {
      const checkpoint = detail.checkpoints[0]!;
      const loss = detail.metrics.train_loss?.at(-1)?.value ?? NaN;
      io.err(`final train loss ${loss.toFixed(4)} after ${formatDuration(run.durationSeconds ?? NaN)}`);
      io.out(`checkpoint ${checkpoint.hash}\n  ${checkpoint.path}`);
    }
    return 0;
  });
}

export const trainLmCommand = defineCommand({
  name: 'train-lm',
  summary: 'train a language model on the generated facts dataset (or its Retrain)',
  help: HELP,
  options: TRAIN_LM_OPTIONS,
  positionals: 0,
  run: handle,
});
