/** `lethe train`: trains a classifier in the engine process and shows its progress. */
import { formatDuration } from '../../shared/format.js';
import { parseTrainConfig, type TrainConfigInput } from '../../shared/train-config.js';
import { BUILTIN_DATASETS } from '../engine/data/builtin-datasets.js';
import { ARCHITECTURE_DESCRIPTIONS } from '../engine/models/model-catalog.js';
import { defineCommand, followRun, numberOption, unfinished, UsageError, withService, type OptionSpecs, type Output, type Values } from './command.js';
import { formatProgress } from './progress-bar.js';
import { TRAIN_LM_OPTIONS, trainLmCommand } from './train-lm.js';

const PLAIN_PROGRESS_INTERVAL_MS = 15_000;

const HELP = `Usage: lethe train --dataset NAME --model NAME [options]

Trains a classifier in the engine process, shows progress, and writes a
content-addressed checkpoint under <data-dir>/checkpoints/<sha256>.

Required:
  --dataset NAME        ${BUILTIN_DATASETS.map((d) => d.name).join(' | ')}
  --model NAME          ${Object.keys(ARCHITECTURE_DESCRIPTIONS).join(' | ')}

--dataset facts trains a language model instead, as lethe train-lm with its
options (--model transformer-small, --people, --retain-of, --epochs, --lr, ...;
see lethe train-lm --help).

Training:
  --epochs N            passes over the training split (default 3)
  --batch-size N        samples per step (default 64)
  --optimizer NAME      sgd | adamw (default sgd)
  --lr X                learning rate (default 0.05)
  --momentum X          SGD momentum in [0, 1) (default 0.9)
  --weight-decay X      SGD: coupled L2; AdamW: decoupled (default 5e-4)
  --schedule NAME       constant | multistep | cosine (default constant)
  --milestones A,B      multistep epochs where lr is multiplied by --gamma
  --gamma X             multistep factor (default 0.1)
  --seed N              initialisation, shuffling and augmentation seed (default 0)
  --split-seed N        seed of the train / held-out / test split (default 0)
  --augment-crop P      random crop with P pixels of zero padding (default 0: off)
  --augment-flip        random horizontal flips
  --precision NAME      fp32 | bf16: bf16 convolutions and matrix products with fp32
                        master weights (native kernels, a CPU with AVX512-BF16 or AMX;
                        default fp32)

Example:
  lethe train --dataset fashion-mnist --model cnn --epochs 3`;

const BASE_OPTIONS = {
  dataset: { type: 'string' },
  model: { type: 'string' },
  epochs: { type: 'string' },
  'batch-size': { type: 'string' },
  optimizer: { type: 'string' },
  lr: { type: 'string' },
  momentum: { type: 'string' },
  'weight-decay': { type: 'string' },
  schedule: { type: 'string' },
  milestones: { type: 'string' },
  gamma: { type: 'string' },
  seed: { type: 'string' },
  'split-seed': { type: 'string' },
  'augment-crop': { type: 'string' },
  'augment-flip': { type: 'boolean' },
  precision: { type: 'string' },
} satisfies OptionSpecs;

// --dataset facts takes the language-model trainer's options too.
const OPTIONS = { ...BASE_OPTIONS, ...TRAIN_LM_OPTIONS } satisfies OptionSpecs;

type TrainValues = Values<typeof OPTIONS>;

function trainConfigFromOptions(values: TrainValues): TrainConfigInput {
  if (!values.dataset) throw new UsageError('--dataset is required (see lethe train --help)');
  if (!values.model) throw new UsageError('--model is required (see lethe train --help)');
  const input: Record<string, unknown> = {
    dataset: values.dataset,
    model: values.model,
    epochs: numberOption(values, 'epochs'),
    batchSize: numberOption(values, 'batch-size'),
    optimizer: values.optimizer,
    lr: numberOption(values, 'lr'),
    momentum: numberOption(values, 'momentum'),
    weightDecay: numberOption(values, 'weight-decay'),
    schedule: values.schedule,
    milestones: values.milestones?.split(',').map((m) => {
      const n = Number(m);
      if (m.trim() === '' || Number.isNaN(n)) throw new UsageError(`--milestones must be comma-separated epochs, got '${values.milestones}'`);
      return n;
    }),
    gamma: numberOption(values, 'gamma'),
    seed: numberOption(values, 'seed'),
    splitSeed: numberOption(values, 'split-seed'),
    augmentCrop: numberOption(values, 'augment-crop'),
    augmentFlip: values['augment-flip'],
    precision: values.precision,
  };
  return Object.fromEntries(Object.entries(input).filter(([, v]) => v !== undefined)) as TrainConfigInput;
}

/** Options set on the command line that the chosen kind of training does not take. */
function refuseOptions(values: TrainValues, allowed: (name: string) => boolean, what: string): void {
  const foreign = Object.keys(values).filter((k) => !allowed(k) && values[k as keyof TrainValues] !== undefined);
  if (foreign.length) throw new UsageError(`${foreign.map((k) => `--${k}`).join(', ')} ${foreign.length > 1 ? 'do' : 'does'} not apply to ${what}`);
}

const isGlobal = (name: string) => name === 'json' || name === 'data-dir' || name === 'help';

async function handle(values: TrainValues, io: Output): Promise<number> {
  if (values.dataset === 'facts') {
    // The facts dataset's models are language models: lethe train-lm's trainer and options.
    refuseOptions(values, (k) => k === 'dataset' || k in TRAIN_LM_OPTIONS || isGlobal(k), "the facts dataset's language models (see lethe train-lm --help)");
    const { dataset: _dataset, ...lmValues } = values;
    return trainLmCommand.run(lmValues, io, []);
  }
  refuseOptions(values, (k) => k in BASE_OPTIONS || isGlobal(k), 'classifiers (they are lethe train-lm options, for --dataset facts)');
  const config = parseTrainConfig(trainConfigFromOptions(values));
  const quiet = values.json === true;
  let lastLine = '';
  let lastPlainProgress = Date.now();
  const clearLine = () => {
    if (io.isTTY && lastLine) process.stderr.write('\r' + ' '.repeat(lastLine.length) + '\r');
    lastLine = '';
  };
  return withService(values, async (service) => {
    const run = await followRun(
      service,
      async () => {
        // The service checks the dataset and model names before anything is recorded.
        const started = await service.startTraining(config);
        if (!quiet) {
          const backend = await service.engineInfo();
          io.err(`backend: ${backend.name} on ${backend.device}${backend.kernels ? `, ${backend.kernels}` : ''}`);
          for (const reason of backend.fallbacks) io.err(`  (${reason})`);
        }
        return started;
      },
      (event) => {
        if (event.type === 'run-notice') {
          clearLine();
          io.err(`note: ${event.message}`);
        } else if (event.type === 'run-progress' && !quiet) {
          if (io.isTTY) {
            lastLine = formatProgress(event.progress);
            process.stderr.write('\r' + lastLine);
          } else if (Date.now() - lastPlainProgress >= PLAIN_PROGRESS_INTERVAL_MS) {
            // Logs and pipes get a line now and then instead of a redrawn bar.
            lastPlainProgress = Date.now();
            io.err(formatProgress(event.progress));
          }
        } else if (event.type === 'run-epoch' && !quiet) {
          const m = event.metrics;
          clearLine();
          io.err(
            `epoch ${m.epoch + 1}/${config.epochs}: train loss ${m.trainLoss.toFixed(4)} acc ${(100 * m.trainAccuracy).toFixed(2)}% | ` +
              `test loss ${m.testLoss.toFixed(4)} acc ${(100 * m.testAccuracy).toFixed(2)}% | lr ${m.lr.toPrecision(3)} | ${formatDuration(m.seconds)}`,
          );
        }
      },
      io,
    );
    clearLine();
    const detail = await service.getRun(run.id);
    if (quiet) io.out(JSON.stringify(detail, null, 2));
    const failed = unfinished(run, io);
    if (failed !== undefined) return failed;
    if (!quiet) {
      const checkpoint = detail.checkpoints[0]!;
      io.err(`test accuracy ${(100 * (run.latestMetrics.test_accuracy ?? NaN)).toFixed(2)}% after ${formatDuration(run.durationSeconds ?? NaN)}`);
      io.out(`checkpoint ${checkpoint.hash}\n  ${checkpoint.path}`);
    }
    return 0;
  });
}

export const trainCommand = defineCommand({
  name: 'train',
  summary: 'train a classifier on a built-in dataset and save a checkpoint',
  help: HELP,
  options: OPTIONS,
  positionals: 0,
  run: handle,
});
