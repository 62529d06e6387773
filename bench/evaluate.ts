/**
 * Protocol evaluation: where the time of one evaluation of the demo's model goes. Trains
 * the demo's original (MLP on Fashion-MNIST, 5 epochs, batch 128, lr 0.05, seed 0) and a
 * GA-unlearned copy (2 epochs) on the demo's forget set (random 10 %, seed 1), runs the
 * evaluate job on each end to end as a study does (one JSON line each: wall and CPU
 * seconds, and the numbers at full precision so two versions of the code can be
 * compared), then times each part of one evaluation of the unlearned model on its own,
 * [wall, CPU] seconds: the forwards of each split, the boundary items, PGD, relearning
 * and each of the five SVM attacks, single-threaded. Where the native SVM is built, each
 * evaluation and each attack runs with both solvers, the native one and the TypeScript one
 * (LETHE_SVM=typescript), side by side, and says whether their numbers are identical. The
 * unlearned model's evaluation reuses the boundary items of the original's (as a study's do).
 * Run: npm run bench, or
 *   node --import tsx bench/evaluate.ts [--data DIR] [--repeat N] [--svm both|native|typescript]
 * --data keeps the trained models in DIR for later runs (the same models before and after a change).
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { EvaluationChecksSchema, MIA_FEATURE_NAMES, type EvaluationChecks } from '../src/shared/evaluation.js';
import { parseTrainConfig } from '../src/shared/train-config.js';
import { parseUnlearnConfig } from '../src/shared/unlearn-config.js';
import { initBackend } from '../src/main/engine/backend.js';
import { loadCheckpoint } from '../src/main/engine/checkpoint.js';
import { pgdAccuracy, relearnAttack, wholeClassesForgotten } from '../src/main/engine/evaluation/assess.js';
import { miaEfficacy } from '../src/main/engine/evaluation/mia.js';
import { probabilities } from '../src/main/engine/evaluation/predictions.js';
import { openCheckpointWithForgetSet } from '../src/main/engine/jobs/checkpoint-context.js';
import { runEvaluateJob } from '../src/main/engine/jobs/evaluate-job.js';
import { runForgetSetJob } from '../src/main/engine/jobs/forget-set-job.js';
import { runTrainJob, type JobContext } from '../src/main/engine/jobs/train-job.js';
import { runUnlearnJob } from '../src/main/engine/jobs/unlearn-job.js';
import { loadNativeAddon } from '../src/main/engine/kernels/native-addon.js';
import { evaluate } from '../src/main/engine/train/evaluate.js';
import { boundaryItems } from '../src/main/engine/unlearn/boundary.js';

const { values } = parseArgs({ options: { data: { type: 'string' }, repeat: { type: 'string' }, svm: { type: 'string' } } });
const dataDir = values.data ?? fs.mkdtempSync(path.join(os.tmpdir(), 'lethe-bench-evaluate-'));
const repeat = Number(values.repeat ?? 1);
const BATCH = 1000;
// The demo study's evaluation settings (studies/fashion-mnist-demo.yaml).
const checks: EvaluationChecks = EvaluationChecksSchema.parse({ relearnBudget: 50, pgdSamples: 1000 });

const backend = await initBackend('wasm');
const context: JobContext = { dataDir, backend, signal: new AbortController().signal, onProgress: () => {}, onEpoch: () => {}, notice: () => {} };

/** The bench's models, made once per data directory. */
async function models(): Promise<{ original: string; unlearned: string; forgetSet: { path: string; digest: string } }> {
  const file = path.join(dataDir, 'bench-evaluate.json');
  if (fs.existsSync(file)) return JSON.parse(fs.readFileSync(file, 'utf8'));
  const trained = await runTrainJob(parseTrainConfig({ dataset: 'fashion-mnist', model: 'mlp', epochs: 5, batchSize: 128, lr: 0.05, seed: 0 }), context);
  const forget = await runForgetSetJob({ dataset: 'fashion-mnist', rule: { kind: 'random', percent: 10, seed: 1 }, splitSeed: 0 }, dataDir, () => {});
  const forgetSet = { path: forget.path, digest: forget.digest };
  const config = parseUnlearnConfig({ checkpoint: trained.checkpoint.hash, forgetSet: 1, method: 'ga', epochs: 2, seed: 1 });
  const unlearned = await runUnlearnJob({ kind: 'unlearn', config, forgetSet, dataDir }, context, () => {});
  const made = { original: trained.checkpoint.hash, unlearned: unlearned.checkpoint.hash, forgetSet };
  fs.writeFileSync(file, JSON.stringify(made));
  return made;
}

const seconds = (since: number) => Number(((performance.now() - since) / 1000).toFixed(2));
const cpuSince = (since: NodeJS.CpuUsage) => {
  const used = process.cpuUsage(since);
  return Number(((used.user + used.system) / 1e6).toFixed(2));
};
/** The value and [wall, CPU] seconds of a part. */
function timed<T>(run: () => T): [T, [number, number]] {
  const started = performance.now();
  const cpu = process.cpuUsage();
  const value = run();
  return [value, [seconds(started), cpuSince(cpu)]];
}

const made = await models();
console.log(JSON.stringify({ bench: 'evaluate', dataDir, cores: os.availableParallelism(), load: os.loadavg().map((l) => Number(l.toFixed(2))) }));

const { addon } = loadNativeAddon();
// Native first: the boundary items an evaluation keeps for the next one against the same
// original (as in a study) then favour the TypeScript runs, not the native ones.
const built = typeof addon?.svmSolve === 'function';
if (values.svm !== undefined && !['both', 'native', 'typescript'].includes(values.svm)) throw new Error(`--svm must be both, native or typescript; got '${values.svm}'`);
if (values.svm === 'native' && !built) throw new Error('--svm native: the native addon is not built with the SVM');
const solvers = (!built || values.svm === 'typescript' ? ['typescript'] : values.svm === 'native' ? ['auto'] : ['auto', 'typescript']) as ('auto' | 'typescript')[];
/** Runs with the SVM solver chosen (the attack workers read LETHE_SVM when they start). */
async function withSolver<T>(solver: (typeof solvers)[number], run: () => T | Promise<T>): Promise<T> {
  process.env.LETHE_SVM = solver;
  try {
    return await run();
  } finally {
    delete process.env.LETHE_SVM;
  }
}
const solverName = (solver: string) => (solver === 'auto' ? 'native' : solver);

for (let round = 0; round < repeat; round++) {
  for (const [name, checkpoint] of [['original', made.original], ['unlearned (GA)', made.unlearned]] as const) {
    const outcomes: string[] = [];
    for (const solver of solvers) {
      const started = performance.now();
      const cpu = process.cpuUsage();
      const result = await withSolver(solver, () => runEvaluateJob({ kind: 'evaluate', checkpoint, dataDir, forget: { ...made.forgetSet, checks, batchSize: BATCH } }, context));
      // CPU seconds of all the process's threads (the SVM workers too): steadier than wall time on a shared machine.
      const cpuSeconds = cpuSince(cpu);
      const { seconds: _, ...numbers } = result.assessment!;
      outcomes.push(JSON.stringify({ splits: result.splits, assessment: numbers }));
      const identical = outcomes.length > 1 ? { identicalToNative: outcomes.at(-1) === outcomes[0] } : {};
      console.log(JSON.stringify({ case: `evaluate job: ${name}`, svm: solverName(solver), seconds: seconds(started), cpuSeconds, load: os.loadavg()[0]!.toFixed(1), ...identical, splits: result.splits, assessment: numbers }));
    }
  }

  // The parts of one evaluation of the unlearned model, each on its own.
  const opened = openCheckpointWithForgetSet(dataDir, made.unlearned, made.forgetSet, () => {});
  const { dataset, split, forget, retain } = opened;
  const model = loadCheckpoint(opened.folder);
  const original = loadCheckpoint(path.join(dataDir, 'checkpoints', made.original));
  try {
    const parts: Record<string, [number, number]> = {};
    const gone = new Set(wholeClassesForgotten(dataset, split.train, forget));
    const test = split.test.filter((i) => !gone.has(dataset.labels[i]!));
    for (const [part, indices] of Object.entries({ train: split.train, heldOut: split.heldOut, test: split.test })) {
      parts[`split measure ${part} (${indices.length})`] = timed(() => evaluate(model, dataset, indices, BATCH))[1];
    }
    const scored: Record<string, { probabilities: Float32Array; labels: Int32Array; classes: number }> = {};
    for (const [group, indices] of Object.entries({ forget, retain, test, heldOut: split.heldOut })) {
      const [p, s] = timed(() => probabilities(model, dataset, indices, BATCH));
      scored[group] = { probabilities: p, labels: Int32Array.from(indices, (i) => dataset.labels[i]!), classes: dataset.classNames.length };
      parts[`softmax ${group} (${indices.length})`] = s;
    }
    parts['boundary items (original forwards + nearest)'] = timed(() => boundaryItems(original, dataset, forget, retain))[1];
    const samples = forget.subarray(0, checks.pgdSamples);
    parts[`PGD (${samples.length} samples, ${checks.pgdSteps} steps)`] = timed(() => pgdAccuracy(model, dataset, samples, checks.pgdEpsilon, checks.pgdSteps, Math.min(BATCH, 500)))[1];
    const relearnStarted = performance.now();
    const relearnCpu = process.cpuUsage();
    const relearn = await relearnAttack({ model, original, loadCopy: () => loadCheckpoint(opened.folder), dataset, split, forget, retain, checks, batchSize: BATCH });
    parts[`relearning (${relearn.steps} steps)`] = [seconds(relearnStarted), cpuSince(relearnCpu)];
    for (const feature of MIA_FEATURE_NAMES) {
      const efficacies: number[] = [];
      for (const solver of solvers) {
        const [efficacy, spent] = await withSolver(solver, () => timed(() => miaEfficacy(feature, scored.retain!, scored.test!, scored.forget!)));
        efficacies.push(efficacy);
        parts[`SVM attack ${feature} (${solverName(solver)})`] = spent;
      }
      if (efficacies.some((e) => !Object.is(e, efficacies[0]))) throw new Error(`the SVM solvers disagree on ${feature}: ${efficacies.join(' vs ')}`);
    }
    console.log(JSON.stringify({ case: 'parts of one evaluation (unlearned), [wall, CPU] seconds', ...parts }));
  } finally {
    model.dispose();
    original.dispose();
  }
}
if (!values.data) fs.rmSync(dataDir, { recursive: true, force: true });
