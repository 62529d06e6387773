/**
 * `lethe`: the headless command line over the same engine the window uses. Training
 * runs in the engine process; this process only parses, reports and waits.
 */
import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import type { AddressInfo } from 'node:net';
import { fileURLToPath } from 'node:url';
import { parseArgs, type ParseArgsConfig } from 'node:util';
import path from 'node:path';
import type { RunSummary } from '../shared/catalog-types.js';
import type { ImportFormat } from '../shared/import.js';
import type { LetheEvent } from '../shared/lethe-api.js';
import type { UnlearnConfigInput, UnlearnStep } from '../shared/unlearn-config.js';
import type { EvaluationChecksInput } from '../shared/evaluation.js';
import { PARETO_OBJECTIVES, type ParetoObjective, type StudyConfigInput } from '../shared/study-config.js';
import { formatStudyTable, TABLE_FORMATS, type TableFormat } from '../shared/study-format.js';
import YAML from 'yaml';
import { AGGREGATORS } from './engine/moo/registry.js';
import { METHOD_INFO } from './engine/unlearn/method-info.js';
import { InvalidRequestError } from '../shared/validation.js';
import { parseTrainConfig, type TrainConfigInput } from '../shared/train-config.js';
import { EngineClient } from './app/engine-client.js';
import { LetheService } from './app/lethe-service.js';
import { Catalog } from './catalog/catalog.js';
import { formatProgress } from './cli/progress-bar.js';
import { formatDuration } from '../shared/format.js';
import { BUILTIN_DATASETS, datasetCachePath } from './engine/data/builtin-datasets.js';
import { readDatasetCache } from './engine/data/dataset-cache.js';
import { ensureWritableDir, resolveDataDir } from './engine/data/data-dir.js';
import { ARCHITECTURE_DESCRIPTIONS } from './engine/models/model-catalog.js';
import { createBridge } from './server.js';

function packageRoot(): string {
  return fileURLToPath(new URL('../../', import.meta.url));
}

function appVersion(): string {
  try {
    return (JSON.parse(fs.readFileSync(packageRoot() + 'package.json', 'utf8')) as { version: string }).version;
  } catch {
    return 'unknown';
  }
}

/** The built renderer (npm run build) that `lethe serve` hands to browsers. */
function rendererDir(): string {
  return packageRoot() + 'out/renderer';
}

class UsageError extends Error {}

const PLAIN_PROGRESS_INTERVAL_MS = 15_000;

const MAIN_HELP = `lethe - multi-objective machine unlearning workbench (headless)

Usage: lethe <command> [options]

Commands:
  train      train a classifier on a built-in dataset and save a checkpoint
  runs       list, show or delete recorded runs: lethe runs list|show ID|rm ID
  import     import a dataset (IDX, CIFAR binary, CSV, image folder)
  forget     make a forget set by rule or from a file, or list them
  unlearn    unlearn a forget set from a checkpoint with a method and aggregator
  purge      remove deleted runs for good, with files no run refers to
  evaluate   measure a checkpoint; with --forget, UA, RA, TA, MIA and stronger checks
  study      run a study from a YAML config and print its table, or show it
  datasets   list the built-in datasets and whether they are cached
  serve      serve the window and the API to a browser over loopback HTTP
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

const EVALUATE_HELP = `Usage: lethe evaluate CHECKPOINT [--forget ID [--checks LIST]] [--json] [--data-dir DIR]

Loads a checkpoint (a folder, or a hash or unique hash prefix under
<data-dir>/checkpoints), verifies its content hash, and reports loss and accuracy
on the train, held-out and test parts of the split it was trained with.

With --forget ID (a forget set, see lethe forget list) it runs the field's
protocol and records an evaluate run in the catalog: UA, RA, TA (forgotten
classes left out of the test set), MIA-efficacy with the RBF-SVM attack on
the confidence feature (and correctness, entropy, m_entropy, prob), per-sample
scores as an artifact, and the stronger checks:
  relearn    steps of Adam fine-tuning on 256 forget samples until the other
             forget samples are back to 95% of the original's accuracy (budget 50)
  boundary   accuracy on the retain samples nearest the forget set
  pgd        forget accuracy under PGD (eps 8/255, 10 steps) toward the forgotten label
--checks relearn,boundary,pgd picks them (--checks none: protocol only).`;

const DATASETS_HELP = `Usage: lethe datasets [--json] [--data-dir DIR]

Lists the built-in datasets (shipped in npm packages, converted to a binary cache
on first use) with their size and content digest once cached.`;

const RUNS_HELP = `Usage: lethe runs [list] [--json]
       lethe runs show ID [--json]
       lethe runs rm ID

Every training run is recorded in the catalog (<data-dir>/catalog.sqlite) with its
config, status, backend, per-epoch metrics and checkpoint. IDs may be shortened to
a unique prefix. rm is a soft delete; lethe purge removes deleted runs for good.`;

const IMPORT_HELP = `Usage: lethe import PATH... [--format F] [--name NAME] [options]

Imports a dataset into <data-dir>/datasets and the catalog, with a content digest;
importing the same content again is detected and writes nothing. The format is
guessed from the names; --format forces one of:
  idx           MNIST-style IDX files, plain or .gz (train-images/labels, and
                t10k-images/labels, which become the dataset's own test set)
  cifar         CIFAR-10 data_batch_*.bin + test_batch.bin, or CIFAR-100
                train.bin + test.bin (--cifar-labels fine|coarse, default fine)
  csv           one CSV file: a header, a label column (--label-column NAME,
                default 'label', else the last column) and numeric features
  image-folder  a folder with one subfolder of PNG/JPEG images per class; images
                of another size are refused unless --resize (to the first image's
                size, or --size HEIGHTxWIDTH)

Example:
  lethe import ~/data/cifar-10-batches-bin --name cifar10`;

const STUDY_HELP = `Usage: lethe study run CONFIG.yaml [--json] [--data-dir DIR]
       lethe study show NAME [--format text|markdown|csv|json|latex]
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

'show' prints the table: UA, RA, TA, MIA as mean +- std over repeats with the gap
to Retrain in brackets, Avg. Gap, RTE, best per column marked.

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

Example: lethe study run studies/fashion-mnist-demo.yaml`;

const FORGET_HELP = `Usage: lethe forget --dataset D (--random P% | --classes A,B [--random P%] | --file F) [options]
       lethe forget list [--json]

Makes a forget set over the dataset's train split and records it in the catalog:
  --random 10%          a seeded random share of the train samples (for one seed,
                        the 10% set is a prefix of the 50% set)
  --classes 3,5         whole classes (by index)
  --classes 3 --random 20%   a random share within those classes
  --file F              an index list (.csv with --column NAME, .json, .txt), or
                        PNG/JPEG images or a folder of them, matched to samples by
                        their pixels
  --seed N              seed of the random draw (default 0)
  --split-seed N        the split whose train part is used (default 0)
  --name NAME           a name to show (default: the rule)`;

const UNLEARN_HELP = `Usage: lethe unlearn --from CHECKPOINT --forget ID --method NAME [options]

Unlearns a forget set (lethe forget list) from a trained checkpoint, records the run
with its objectives, per-step losses, aggregator weights and gradient cosines, and
saves the result as a new checkpoint. Methods (${Object.keys(METHOD_INFO).join(', ')}):
${Object.entries(METHOD_INFO).map(([n, m]) => `  ${n.padEnd(8)} ${m.description}`).join('\n')}

Options:
  --aggregator NAME     multi-objective methods: ${Object.keys(AGGREGATORS).join(', ')}
                        (default upgrad)
  --weights A,B         preference / linear-scalarisation weights, one per objective
  --reference R         raul: uniform (UniDist, default) or heldout (HeldDist)
  --frozen-reference    raul heldout: reference from the original model, not the current
  --lr X --epochs N     default: the method's (raul: 5e-3, 5 epochs)
  --batch-size N        default 256
  --optimizer NAME      sgd (momentum 0.9, weight decay 5e-4) or adamw
  --seed N              batches, random labels, PCGrad order (default 1)
  --alpha X             neggrad+ a (0.9999), l1-sparse alpha (1e-4), iu alpha (0.2),
                        scrub KL weight (0.001)
  --mask-ratio R        salun: share of weights that may move (0.5)
  --temperature T --gamma G --max-steps N --forget-batch-size N
                        scrub (4, 0.99, 2, 512)
  --fisher-samples N    iu: retain samples in the WoodFisher estimate (1000)
  --boundary B          bld: nearest (retain samples nearest the forget set, default)
                        or confused (the two classes most confused with it)

Example:
  lethe unlearn --from 2aa84e7d --forget 1 --method raul --reference uniform \\
    --aggregator upgrad --lr 5e-3 --epochs 5 --seed 1`;

const PURGE_HELP = `Usage: lethe purge [--json]

Removes soft-deleted runs with their metrics and checkpoint records, then every
folder under <data-dir>/checkpoints and <data-dir>/artifacts that no recorded run
refers to (left by interrupted jobs). Files younger than 5 minutes are kept, as a
job in another process may not have recorded them yet.`;

const SERVE_HELP = `Usage: lethe serve [--port N] [--host ADDRESS]

Serves the window (build it first with npm run build) and the Lethe API over HTTP,
on 127.0.0.1 and a free port unless told otherwise. A random token is printed at
start and required on every request: open the printed URL in a browser.`;

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
  format: { type: 'string' },
  name: { type: 'string' },
  'label-column': { type: 'string' },
  'cifar-labels': { type: 'string' },
  resize: { type: 'boolean' },
  size: { type: 'string' },
  random: { type: 'string' },
  classes: { type: 'string' },
  file: { type: 'string' },
  column: { type: 'string' },
  from: { type: 'string' },
  forget: { type: 'string' },
  method: { type: 'string' },
  aggregator: { type: 'string' },
  weights: { type: 'string' },
  reference: { type: 'string' },
  'frozen-reference': { type: 'boolean' },
  alpha: { type: 'string' },
  'mask-ratio': { type: 'string' },
  temperature: { type: 'string' },
  'max-steps': { type: 'string' },
  'forget-batch-size': { type: 'string' },
  'fisher-samples': { type: 'string' },
  boundary: { type: 'string' },
  checks: { type: 'string' },
  objectives: { type: 'string' },
  host: { type: 'string' },
  port: { type: 'string' },
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

/** Opens the catalog and a service over it for one command; the engine starts only if used. */
async function withService<T>(values: Values, use: (service: LetheService, catalog: Catalog) => Promise<T>): Promise<T> {
  const dataDir = ensureWritableDir(resolveDataDir(values['data-dir']));
  const catalog = Catalog.open(dataDir);
  const engine = new EngineClient();
  try {
    return await use(new LetheService({ catalog, engine, appVersion: appVersion() }), catalog);
  } finally {
    await engine.shutdown();
    catalog.close();
  }
}

const TERMINAL_STATUSES = ['finished', 'failed', 'cancelled'];

/**
 * Starts a run and follows it to its end: its own events go to `onEvent`, Ctrl-C
 * cancels it. Subscribes before starting so no event is missed.
 */
async function followRun(
  service: LetheService,
  start: () => Promise<RunSummary>,
  onEvent: (event: Exclude<LetheEvent, { type: 'run-updated' | 'task-progress' | 'study-progress' }>) => void,
  io: Output,
): Promise<RunSummary> {
  let runId = '';
  const ended = new Promise<RunSummary>((resolve) => {
    service.subscribe((event) => {
      if (event.type === 'task-progress' || event.type === 'study-progress') return;
      if (event.type === 'run-updated') {
        if (event.run.id === runId && TERMINAL_STATUSES.includes(event.run.status)) resolve(event.run);
      } else if (event.runId === runId) onEvent(event);
    });
  });
  runId = (await start()).id;
  io.err(`run ${runId}`);
  const onSigint = () => {
    io.err('cancelling...');
    void service.cancelRun(runId).catch(() => {});
  };
  process.on('SIGINT', onSigint);
  try {
    return await ended;
  } finally {
    process.off('SIGINT', onSigint);
  }
}

/** Exit code and message for a run that did not finish. */
function unfinished(run: RunSummary, io: Output): number | undefined {
  if (run.status === 'cancelled') {
    io.err(`${run.kind} cancelled; no checkpoint was written`);
    return 130;
  }
  if (run.status === 'failed') {
    io.err(`lethe ${run.kind === 'retrain' ? 'unlearn' : run.kind}: ${run.error}`);
    return 1;
  }
  return undefined;
}

async function trainCommand(values: Values, io: Output): Promise<number> {
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

async function unlearnCommand(values: Values, io: Output): Promise<number> {
  if (!values.from) throw new UsageError('--from CHECKPOINT is required (see lethe unlearn --help)');
  if (values.forget === undefined) throw new UsageError('--forget ID is required (see lethe forget list)');
  if (!values.method) throw new UsageError('--method is required (see lethe unlearn --help)');
  const weights = values.weights?.split(',').map((w) => {
    const n = Number(w);
    if (w.trim() === '' || !Number.isFinite(n)) throw new UsageError(`--weights must be comma-separated numbers, got '${values.weights}'`);
    return n;
  });
  const input = Object.fromEntries(
    Object.entries({
      checkpoint: values.from,
      forgetSet: numberOption(values, 'forget'),
      method: values.method,
      aggregator: values.aggregator,
      weights,
      reference: values.reference,
      frozenReference: values['frozen-reference'],
      optimizer: values.optimizer,
      lr: numberOption(values, 'lr'),
      momentum: numberOption(values, 'momentum'),
      weightDecay: numberOption(values, 'weight-decay'),
      epochs: numberOption(values, 'epochs'),
      batchSize: numberOption(values, 'batch-size'),
      seed: numberOption(values, 'seed'),
      alpha: numberOption(values, 'alpha'),
      maskRatio: numberOption(values, 'mask-ratio'),
      temperature: numberOption(values, 'temperature'),
      gamma: numberOption(values, 'gamma'),
      maxSteps: numberOption(values, 'max-steps'),
      forgetBatchSize: numberOption(values, 'forget-batch-size'),
      fisherSamples: numberOption(values, 'fisher-samples'),
      boundary: values.boundary,
    }).filter(([, v]) => v !== undefined),
  );
  const quiet = values.json === true;
  return withService(values, async (service) => {
    let last: UnlearnStep | undefined;
    const showEpoch = () => {
      if (!last || quiet) return;
      const step = last;
      const parts = step.losses.map((l, i) => `loss${step.losses.length > 1 ? i + 1 : ''} ${l.toFixed(4)}`);
      if (step.weights.length > 1) parts.push(`weights ${step.weights.map((w) => w.toFixed(3)).join('/')}`);
      if (step.cosines.length === 1) parts.push(`cos ${step.cosines[0]!.toFixed(3)}`);
      io.err(`epoch ${step.epoch + 1} (step ${step.step + 1}): ${parts.join(', ')}`);
    };
    const run = await followRun(
      service,
      () => service.startUnlearning(input as UnlearnConfigInput),
      (event) => {
        if (event.type === 'run-notice') io.err(`note: ${event.message}`);
        if (event.type !== 'unlearn-step') return;
        if (last && event.step.epoch !== last.epoch) showEpoch();
        last = event.step;
      },
      io,
    );
    showEpoch();
    const detail = await service.getRun(run.id);
    if (quiet) io.out(JSON.stringify(detail, null, 2));
    const failed = unfinished(run, io);
    if (failed !== undefined) return failed;
    if (!quiet) {
      const m = run.latestMetrics;
      const pct = (v: number | undefined) => (v === undefined ? '-' : `${(100 * v).toFixed(2)}%`);
      io.err(
        `forget accuracy ${pct(m.original_forget_accuracy)} -> ${pct(m.forget_accuracy)} (UA ${pct(m.unlearning_accuracy)}), ` +
          `retain ${pct(m.original_retain_accuracy)} -> ${pct(m.retain_accuracy)}, test ${pct(m.original_test_accuracy)} -> ${pct(m.test_accuracy)}, ` +
          `run time ${formatDuration(m.run_seconds ?? NaN)}`,
      );
      const checkpoint = detail.checkpoints[0]!;
      io.out(`checkpoint ${checkpoint.hash} (${checkpoint.role})\n  ${checkpoint.path}`);
    }
    return 0;
  });
}

function formatTime(ms: number | null): string {
  return ms === null ? '-' : new Date(ms).toISOString().replace('T', ' ').slice(0, 19);
}

async function runsCommand(values: Values, io: Output, [action = 'list', id]: string[]): Promise<number> {
  return withService(values, async (service) => {
    if (action === 'list') {
      const runs = await service.listRuns();
      if (values.json) {
        io.out(JSON.stringify(runs, null, 2));
        return 0;
      }
      if (runs.length === 0) io.out('no runs yet (start one with lethe train)');
      for (const r of runs) {
        const acc = r.latestMetrics.test_accuracy;
        io.out(
          `${r.id.slice(0, 8)}  ${r.status.padEnd(9)} ${r.kind.padEnd(6)} ${String(r.dataset).padEnd(13)} ${String(r.model).padEnd(8)} ` +
            `${(r.backend ?? '-').padEnd(6)} test acc ${acc === undefined ? '-' : (100 * acc).toFixed(2) + '%'}  ${formatTime(r.createdAt)}` +
            `  ${r.durationSeconds === null ? '' : formatDuration(r.durationSeconds)}`,
        );
      }
      return 0;
    }
    if (!id) throw new UsageError(`lethe runs ${action} needs a run id (see lethe runs --help)`);
    if (action === 'show') {
      const run = await service.getRun(id);
      if (values.json) {
        io.out(JSON.stringify(run, null, 2));
        return 0;
      }
      io.out(`run ${run.id}\n  ${run.kind} ${run.status}${run.error ? `: ${run.error}` : ''}`);
      io.out(`  dataset ${run.dataset}  model ${run.model}  seed ${run.seed}  backend ${run.backend ?? '-'} (${run.device ?? '-'})`);
      io.out(`  created ${formatTime(run.createdAt)}  started ${formatTime(run.startedAt)}  finished ${formatTime(run.finishedAt)}`);
      io.out(`  config ${JSON.stringify(run.config)}`);
      for (const [key, points] of Object.entries(run.metrics)) {
        io.out(`  ${key.padEnd(16)} ${points.map((p) => `${p.step}:${Number(p.value.toPrecision(4))}`).join('  ')}`);
      }
      for (const c of run.checkpoints) io.out(`  checkpoint ${c.hash} (${c.role})\n    ${c.path}`);
      return 0;
    }
    if (action === 'rm') {
      await service.deleteRun(id);
      io.out(`deleted run ${id} (lethe purge removes it and its files for good)`);
      return 0;
    }
    throw new UsageError(`unknown runs action '${action}': use list, show or rm`);
  });
}

async function importCommand(values: Values, io: Output, paths: string[]): Promise<number> {
  if (paths.length === 0) throw new UsageError('name the files or folder to import (see lethe import --help)');
  const size = values.size?.split('x').map(Number);
  if (values.size !== undefined && (size?.length !== 2 || size.some((n) => !Number.isInteger(n) || n <= 0))) {
    throw new UsageError(`--size must be HEIGHTxWIDTH, got '${values.size}'`);
  }
  return withService(values, async (service) => {
    let lastLine = '';
    service.subscribe((event) => {
      if (event.type !== 'task-progress' || values.json || !io.isTTY) return;
      const p = event.progress;
      lastLine = `${p.phase}: ${p.done}/${p.total}`;
      process.stderr.write('\r' + lastLine.padEnd(60));
    });
    const outcome = await service.importDataset({
      paths: paths.map((p) => path.resolve(p)),
      format: values.format as ImportFormat | undefined,
      name: values.name,
      labelColumn: values['label-column'],
      cifarLabels: values['cifar-labels'] as 'fine' | 'coarse' | undefined,
      resize: values.resize,
      size: size as [number, number] | undefined,
    });
    if (lastLine) process.stderr.write('\r' + ' '.repeat(60) + '\r');
    if (values.json) {
      io.out(JSON.stringify(outcome, null, 2));
      return 0;
    }
    const d = outcome.dataset;
    io.out(
      outcome.alreadyImported
        ? `already imported as '${d.name}' (same content, digest ${d.digest.slice(0, 16)}); nothing new written`
        : `imported '${d.name}' (${outcome.format}): ${d.sampleCount} samples ${d.shape.join('x')}, ${d.classNames.length} classes, ` +
            `${outcome.testCount ? `${outcome.testCount} of them its own test set, ` : ''}digest ${d.digest.slice(0, 16)}, ${outcome.seconds.toFixed(1)} s`,
    );
    return 0;
  });
}

function parsePercent(raw: string): number {
  const value = Number(raw.replace(/%$/, ''));
  if (raw.trim() === '' || !Number.isFinite(value)) throw new UsageError(`--random must be a percentage like 10%, got '${raw}'`);
  return value;
}

async function forgetCommand(values: Values, io: Output, [action]: string[]): Promise<number> {
  return withService(values, async (service) => {
    if (action === 'list') {
      const sets = await service.listForgetSets();
      if (values.json) io.out(JSON.stringify(sets, null, 2));
      else if (sets.length === 0) io.out('no forget sets yet (make one with lethe forget --dataset D --random 10%)');
      else for (const f of sets) io.out(`${String(f.id).padStart(4)}  ${f.name}  ${f.size} samples  digest ${f.digest.slice(0, 12)}`);
      return 0;
    }
    if (action !== undefined) throw new UsageError(`unknown forget action '${action}' (use list, or options to make one)`);
    if (!values.dataset) throw new UsageError('--dataset is required (see lethe forget --help)');
    const seed = numberOption(values, 'seed') ?? 0;
    const classes = values.classes?.split(',').map((c) => {
      const n = Number(c);
      if (c.trim() === '' || !Number.isInteger(n)) throw new UsageError(`--classes must be comma-separated class indices, got '${values.classes}'`);
      return n;
    });
    const given = [values.random !== undefined || classes !== undefined, values.file !== undefined].filter(Boolean).length;
    if (given !== 1) throw new UsageError('give either --random and/or --classes, or --file');
    const rule =
      values.file !== undefined
        ? { kind: 'file' as const, paths: [path.resolve(values.file)], column: values.column }
        : classes === undefined
          ? { kind: 'random' as const, percent: parsePercent(values.random!), seed }
          : values.random === undefined
            ? { kind: 'classes' as const, classes }
            : { kind: 'random-in-classes' as const, percent: parsePercent(values.random), classes, seed };
    const outcome = await service.createForgetSet({ dataset: values.dataset, rule, name: values.name, splitSeed: numberOption(values, 'split-seed') });
    if (values.json) {
      io.out(JSON.stringify(outcome, null, 2));
      return 0;
    }
    for (const w of outcome.warnings) io.err(`warning: ${w}`);
    const r = outcome.report;
    if (r) {
      io.err(`matched ${r.matched.length} image(s); unmatched ${r.unmatched.length}; duplicate files ${r.duplicateFiles.length}; images equal to several samples ${r.ambiguous.length}`);
      for (const f of r.unmatched) io.err(`  unmatched: ${f}`);
      for (const d of r.duplicateFiles) io.err(`  duplicate: ${d.file} = ${d.sameAs}`);
    }
    const f = outcome.forgetSet;
    io.out(`forget set ${f.id} '${f.name}': ${f.size} samples forgotten, ${outcome.retainSize} retained, digest ${f.digest.slice(0, 16)}\n  ${f.path}`);
    return 0;
  });
}

function numberList(values: Values, name: 'reference'): number[] | undefined {
  const raw = values[name];
  if (raw === undefined) return undefined;
  return raw.split(',').map((part) => {
    const n = Number(part);
    if (part.trim() === '' || !Number.isFinite(n)) throw new UsageError(`--${name} must be comma-separated numbers, got '${raw}'`);
    return n;
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

async function studyCommand(values: Values, io: Output, [action, argument]: string[]): Promise<number> {
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
        io.out(formatStudyTable(await service.getStudyTable(argument), values.json ? 'json' : format));
        return 0;
      }
      case 'pareto': {
        if (!argument) throw new UsageError('name the study (see lethe study list)');
        if (!values.objectives) throw new UsageError(`--objectives is required: two or three of ${PARETO_OBJECTIVES.join(', ')}`);
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
          void service.listRuns().then((runs) => runs.filter((r) => r.status === 'running' || r.status === 'queued').forEach((r) => void service.cancelRun(r.id).catch(() => {})));
        };
        process.on('SIGINT', onSigint);
        try {
          outcome = await service.runStudy(config as StudyConfigInput);
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
        return outcome.failed.length > 0 || interrupted ? 1 : 0;
      }
      default:
        throw new UsageError(action === undefined ? 'name an action: run, show, pareto or list (see lethe study --help)' : `unknown study action '${action}' (run, show, pareto or list)`);
    }
  });
}

async function purgeCommand(values: Values, io: Output): Promise<number> {
  return withService(values, async (_service, catalog) => {
    const report = catalog.purge();
    if (values.json) io.out(JSON.stringify(report, null, 2));
    else {
      io.out(`purged ${report.runs} deleted run(s) and ${report.checkpoints} checkpoint record(s)`);
      for (const p of report.removedPaths) io.out(`  removed ${p}`);
    }
    return 0;
  });
}

async function serveCommand(values: Values, io: Output): Promise<number> {
  const host = values.host ?? '127.0.0.1';
  const port = numberOption(values, 'port') ?? 0;
  if (!Number.isInteger(port) || port < 0 || port > 65535) throw new UsageError(`--port must be an integer in [0, 65535], got ${port}`);
  if (!['127.0.0.1', 'localhost', '::1'].includes(host)) io.err(`warning: serving on ${host}, beyond this machine; anyone with the token can use it`);
  return withService(values, async (service) => {
    const token = randomBytes(24).toString('hex');
    const server = createBridge({ service, token, staticDir: rendererDir() });
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(port, host, resolve);
    });
    const address = server.address() as AddressInfo;
    const shown = address.family === 'IPv6' ? `[${address.address}]` : address.address;
    const url = `http://${shown}:${address.port}/?token=${token}`;
    if (values.json) io.out(JSON.stringify({ url, token, port: address.port }));
    else io.out(`Lethe is serving at ${url}\n(token required on every request; Ctrl-C stops)`);
    await new Promise<void>((resolve) => {
      const stop = () => {
        process.off('SIGINT', stop);
        process.off('SIGTERM', stop);
        server.closeAllConnections();
        server.close(() => resolve());
      };
      process.on('SIGINT', stop);
      process.on('SIGTERM', stop);
    });
    return 0;
  });
}

const CHECK_NAMES = ['relearn', 'boundary', 'pgd'] as const;

function checksOption(values: Values): EvaluationChecksInput | undefined {
  if (values.checks === undefined) return undefined;
  const chosen = values.checks === 'none' ? [] : values.checks.split(',').map((c) => c.trim());
  const unknown = chosen.find((c) => !(CHECK_NAMES as readonly string[]).includes(c));
  if (unknown !== undefined) throw new UsageError(`--checks takes ${CHECK_NAMES.join(', ')} or none, got '${unknown}'`);
  return Object.fromEntries(CHECK_NAMES.map((c) => [c, chosen.includes(c)]));
}

/** One line per protocol metric of an evaluate run. */
function describeAssessment(m: Record<string, number>): string[] {
  const pct = (key: string) => (m[key] === undefined ? '-' : `${m[key].toFixed(2)}%`);
  const lines = [
    `UA ${pct('UA')}  RA ${pct('RA')}  TA ${pct('TA')}  MIA-efficacy ${pct('MIA')} (confidence)`,
    `MIA by feature: correctness ${pct('MIA_correctness')}, entropy ${pct('MIA_entropy')}, m_entropy ${pct('MIA_m_entropy')}, prob ${pct('MIA_prob')}`,
  ];
  if (m.boundary_accuracy !== undefined) lines.push(`boundary accuracy ${pct('boundary_accuracy')}`);
  if (m.pgd_forget_accuracy !== undefined) lines.push(`forget accuracy under PGD ${pct('pgd_forget_accuracy')} (clean ${pct('pgd_clean_forget_accuracy')})`);
  if (m.relearn_steps !== undefined) lines.push(`relearning: ${m.relearn_recovered ? `recovered after ${m.relearn_steps} steps` : 'not recovered within the budget'}`);
  return lines;
}

async function evaluateCommand(values: Values, io: Output, [reference]: string[]): Promise<number> {
  if (!reference) throw new UsageError('name the checkpoint to evaluate (see lethe evaluate --help)');
  if (values.forget !== undefined) {
    const forgetSet = numberOption(values, 'forget');
    return withService(values, async (service) => {
      const run = await followRun(
        service,
        () => service.startEvaluation({ checkpoint: reference, forgetSet: forgetSet!, checks: checksOption(values) }),
        (event) => {
          if (event.type === 'run-notice') io.err(`note: ${event.message}`);
        },
        io,
      );
      const detail = await service.getRun(run.id);
      if (values.json) io.out(JSON.stringify(detail, null, 2));
      const failed = unfinished(run, io);
      if (failed !== undefined) return failed;
      if (!values.json) {
        io.out(describeAssessment(run.latestMetrics).join('\n'));
        for (const a of detail.artifacts) io.out(`${a.kind}: ${a.path}`);
      }
      return 0;
    });
  }
  if (values.checks !== undefined) throw new UsageError('--checks needs --forget ID');
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
      if (backend.kernels) io.out(`kernels: ${backend.kernels}`);
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
  runs: { help: RUNS_HELP, positionals: 2, run: runsCommand },
  import: { help: IMPORT_HELP, positionals: 1000, run: importCommand },
  forget: { help: FORGET_HELP, positionals: 1, run: forgetCommand },
  unlearn: { help: UNLEARN_HELP, positionals: 0, run: unlearnCommand },
  purge: { help: PURGE_HELP, positionals: 0, run: purgeCommand },
  serve: { help: SERVE_HELP, positionals: 0, run: serveCommand },
  evaluate: { help: EVALUATE_HELP, positionals: 1, run: evaluateCommand },
  study: { help: STUDY_HELP, positionals: 2, run: studyCommand },
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
    return error instanceof UsageError || error instanceof InvalidRequestError ? 2 : 1;
  }
}
