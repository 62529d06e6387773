/**
 * `lethe`: the headless command line over the same engine the window uses. Training
 * runs in the engine process; this process only parses, reports and waits.
 */
import { parseArgs, type ParseArgsConfig } from 'node:util';
import { parseTrainConfig, type TrainConfigInput } from '../shared/train-config.js';
import { EngineClient, JobCancelledError } from './app/engine-client.js';
import { formatDuration, formatProgress } from './cli/progress-bar.js';
import { BUILTIN_DATASETS, datasetCachePath } from './engine/data/builtin-datasets.js';
import { readDatasetCache } from './engine/data/dataset-cache.js';
import { ensureWritableDir, resolveDataDir } from './engine/data/data-dir.js';
import { ARCHITECTURE_DESCRIPTIONS } from './engine/models/model-catalog.js';

class UsageError extends Error {}

const PLAIN_PROGRESS_INTERVAL_MS = 15_000;

const MAIN_HELP = `lethe - multi-objective machine unlearning workbench (headless)

Usage: lethe <command> [options]

Commands:
  train      train a classifier on a built-in dataset and save a checkpoint
  evaluate   measure a saved checkpoint on its train, held-out and test data
  datasets   list the built-in datasets and whether they are cached
  info       start the engine and show the compute backend it chose

Global options:
  --data-dir DIR   where datasets, splits and checkpoints live
                   (default: $LETHE_DATA_DIR, else ~/.local/share/lethe)
  --json           print machine-readable JSON on stdout
  -h, --help       help for a command: lethe train --help

Environment:
  LETHE_BACKEND    auto | tensorflow-gpu | tensorflow | wasm | cpu (default auto:
                   the first of these that works)`;

const TRAIN_HELP = `Usage: lethe train --dataset NAME --model NAME [options]

Trains a classifier in the engine process, shows progress, and writes a
content-addressed checkpoint under <data-dir>/checkpoints/<sha256>.

Required:
  --dataset NAME        ${BUILTIN_DATASETS.map((d) => d.name).join(' | ')}
  --model NAME          ${Object.keys(ARCHITECTURE_DESCRIPTIONS).join(' | ')}

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

Example:
  lethe train --dataset fashion-mnist --model cnn --epochs 3`;

const EVALUATE_HELP = `Usage: lethe evaluate CHECKPOINT [--json] [--data-dir DIR]

Loads a checkpoint (a folder, or a hash or unique hash prefix under
<data-dir>/checkpoints), verifies its content hash, and reports loss and accuracy
on the train, held-out and test parts of the split it was trained with.`;

const DATASETS_HELP = `Usage: lethe datasets [--json] [--data-dir DIR]

Lists the built-in datasets (shipped in npm packages, converted to a binary cache
on first use) with their size and content digest once cached.`;

const INFO_HELP = `Usage: lethe info [--json]

Starts the engine process and reports the compute backend and device it chose,
and why faster backends were not used.`;

const OPTIONS = {
  help: { type: 'boolean', short: 'h' },
  json: { type: 'boolean' },
  'data-dir': { type: 'string' },
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
} satisfies ParseArgsConfig['options'];

type Values = { [K in keyof typeof OPTIONS]?: (typeof OPTIONS)[K]['type'] extends 'boolean' ? boolean : string };

function numberOption(values: Values, name: keyof Values): number | undefined {
  const raw = values[name];
  if (raw === undefined) return undefined;
  const value = Number(raw);
  if (typeof raw !== 'string' || raw.trim() === '' || !Number.isFinite(value)) {
    throw new UsageError(`--${name} must be a finite number, got '${String(raw)}'`);
  }
  return value;
}

export function trainConfigFromOptions(values: Values): TrainConfigInput {
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
  };
  return Object.fromEntries(Object.entries(input).filter(([, v]) => v !== undefined)) as TrainConfigInput;
}

interface Output {
  out: (text: string) => void;
  err: (text: string) => void;
  isTTY: boolean;
}

const consoleOutput: Output = {
  out: (text) => process.stdout.write(text + '\n'),
  err: (text) => process.stderr.write(text + '\n'),
  isTTY: process.stderr.isTTY === true,
};

async function trainCommand(values: Values, io: Output): Promise<number> {
  const config = parseTrainConfig(trainConfigFromOptions(values));
  if (!BUILTIN_DATASETS.some((d) => d.name === config.dataset)) {
    throw new UsageError(`unknown dataset '${config.dataset}'; built-in datasets: ${BUILTIN_DATASETS.map((d) => d.name).join(', ')}`);
  }
  if (!(config.model in ARCHITECTURE_DESCRIPTIONS)) {
    throw new UsageError(`unknown model '${config.model}'; available: ${Object.keys(ARCHITECTURE_DESCRIPTIONS).join(', ')}`);
  }
  const dataDir = ensureWritableDir(resolveDataDir(values['data-dir']));
  const engine = new EngineClient();
  const quiet = values.json === true;
  let lastLine = '';
  let lastPlainProgress = Date.now();
  const clearLine = () => {
    if (io.isTTY && lastLine) process.stderr.write('\r' + ' '.repeat(lastLine.length) + '\r');
    lastLine = '';
  };
  try {
    const backend = await engine.ready();
    if (!quiet) {
      io.err(`backend: ${backend.name} on ${backend.device}`);
      for (const reason of backend.fallbacks) io.err(`  (${reason})`);
    }
    const job = engine.submit(
      { kind: 'train', config, dataDir },
      {
        onNotice: (message) => {
          clearLine();
          io.err(`note: ${message}`);
        },
        onProgress: (progress) => {
          if (quiet) return;
          if (io.isTTY) {
            lastLine = formatProgress(progress);
            process.stderr.write('\r' + lastLine);
          } else if (Date.now() - lastPlainProgress >= PLAIN_PROGRESS_INTERVAL_MS) {
            // Logs and pipes get a line now and then instead of a redrawn bar.
            lastPlainProgress = Date.now();
            io.err(formatProgress(progress));
          }
        },
        onEpoch: (m) => {
          if (quiet) return;
          clearLine();
          io.err(
            `epoch ${m.epoch + 1}/${config.epochs}: train loss ${m.trainLoss.toFixed(4)} acc ${(100 * m.trainAccuracy).toFixed(2)}% | ` +
              `test loss ${m.testLoss.toFixed(4)} acc ${(100 * m.testAccuracy).toFixed(2)}% | lr ${m.lr.toPrecision(3)} | ${formatDuration(m.seconds)}`,
          );
        },
      },
    );
    const onSigint = () => {
      clearLine();
      io.err('cancelling...');
      engine.cancel(job.jobId);
    };
    process.on('SIGINT', onSigint);
    try {
      const result = await job.result;
      if (quiet) io.out(JSON.stringify(result, null, 2));
      else {
        io.err(`test accuracy ${(100 * result.testAccuracy).toFixed(2)}% after ${formatDuration(result.seconds)}`);
        io.out(`checkpoint ${result.checkpoint.hash}\n  ${result.checkpoint.path}`);
      }
      return 0;
    } catch (error) {
      if (error instanceof JobCancelledError) {
        clearLine();
        io.err('training cancelled; no checkpoint was written');
        if (quiet) io.out(JSON.stringify({ status: 'cancelled' }));
        return 130;
      }
      throw error;
    } finally {
      process.off('SIGINT', onSigint);
    }
  } finally {
    clearLine();
    await engine.shutdown();
  }
}

async function evaluateCommand(values: Values, io: Output, [reference]: string[]): Promise<number> {
  if (!reference) throw new UsageError('name the checkpoint to evaluate (see lethe evaluate --help)');
  const dataDir = ensureWritableDir(resolveDataDir(values['data-dir']));
  const engine = new EngineClient();
  try {
    const result = await engine.submit({ kind: 'evaluate', checkpoint: reference, dataDir }, {
      onNotice: (message) => io.err(`note: ${message}`),
    }).result;
    if (values.json) {
      io.out(JSON.stringify(result, null, 2));
      return 0;
    }
    io.out(`checkpoint ${result.checkpoint.hash}\n  ${result.model} on ${result.dataset.name}, backend ${result.backend.name}`);
    for (const [part, e] of Object.entries(result.splits)) {
      io.out(`  ${part.padEnd(8)} accuracy ${(100 * e.accuracy).toFixed(2)}%  loss ${e.loss.toFixed(4)}  (${e.count} samples)`);
    }
    return 0;
  } finally {
    await engine.shutdown();
  }
}

function datasetsCommand(values: Values, io: Output): number {
  const dataDir = resolveDataDir(values['data-dir']);
  const rows = BUILTIN_DATASETS.map((spec) => {
    const file = datasetCachePath(dataDir, spec.name);
    let cached: { samples: number; digest: string; shape: number[] } | { error: string } | null = null;
    try {
      const d = readDatasetCache(file);
      cached = { samples: d.count, digest: d.digest, shape: [d.height, d.width, d.channels] };
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'ENOENT') cached = { error: (error as Error).message };
    }
    return { name: spec.name, description: spec.description, classes: spec.classNames, cache: file, cached };
  });
  if (values.json) {
    io.out(JSON.stringify(rows, null, 2));
    return 0;
  }
  for (const row of rows) {
    io.out(`${row.name}\n  ${row.description}`);
    if (row.cached === null) io.out(`  not cached yet (converted on first use into ${row.cache})`);
    else if ('error' in row.cached) io.out(`  cache unusable, will be rebuilt: ${row.cached.error}`);
    else io.out(`  cached: ${row.cached.samples} samples ${row.cached.shape.join('x')}, digest ${row.cached.digest.slice(0, 16)}`);
  }
  return 0;
}

async function infoCommand(values: Values, io: Output): Promise<number> {
  const engine = new EngineClient();
  try {
    const backend = await engine.ready();
    if (values.json) io.out(JSON.stringify(backend, null, 2));
    else {
      io.out(`backend: ${backend.name} (tfjs '${backend.tfjsBackend}')\ndevice:  ${backend.device}`);
      for (const reason of backend.fallbacks) io.out(`  not used: ${reason}`);
    }
    return 0;
  } finally {
    await engine.shutdown();
  }
}

interface Command {
  help: string;
  /** How many positional arguments the command takes. */
  positionals: number;
  run: (values: Values, io: Output, positionals: string[]) => number | Promise<number>;
}

const COMMANDS: Record<string, Command> = {
  train: { help: TRAIN_HELP, positionals: 0, run: trainCommand },
  evaluate: { help: EVALUATE_HELP, positionals: 1, run: evaluateCommand },
  datasets: { help: DATASETS_HELP, positionals: 0, run: datasetsCommand },
  info: { help: INFO_HELP, positionals: 0, run: infoCommand },
};

export async function runCli(argv: string[], io: Output = consoleOutput): Promise<number> {
  let parsed;
  try {
    parsed = parseArgs({ args: argv, options: OPTIONS, allowPositionals: true, strict: true });
  } catch (error) {
    io.err(`lethe: ${(error as Error).message}\n\n${MAIN_HELP}`);
    return 2;
  }
  const values = parsed.values as Values;
  const [name, ...extra] = parsed.positionals;
  if (!name || name === 'help') {
    io.out(extra[0] && COMMANDS[extra[0]] ? COMMANDS[extra[0]]!.help : MAIN_HELP);
    return name || values.help ? 0 : 2;
  }
  const command = COMMANDS[name];
  if (!command) {
    io.err(`lethe: unknown command '${name}'\n\n${MAIN_HELP}`);
    return 2;
  }
  if (values.help) {
    io.out(command.help);
    return 0;
  }
  if (extra.length > command.positionals) {
    io.err(`lethe ${name}: unexpected argument '${extra[command.positionals]}'`);
    return 2;
  }
  try {
    return await command.run(values, io, extra);
  } catch (error) {
    const message = (error as Error).message;
    io.err(`lethe ${name}: ${message}`);
    if (values.json) io.out(JSON.stringify({ error: message }));
    return error instanceof UsageError || message.startsWith('invalid training config') ? 2 : 1;
  }
}
