/**
 * Training-step throughput: a full step (forward, backward, SGD momentum + weight decay
 * update) of each benchmark model at batch 64 and 256, one JSON line per case with
 * samples/s, the tensor count and resident memory before and after, and (with
 * --kernels) where the time goes by kernel. Compare with bench/pytorch-train-step.py,
 * which runs the same models in PyTorch; with --pytorch PYTHON each case is followed by
 * the PyTorch reference on the same machine in the same run, and a line comparing them.
 * Each backend of --backends (default tensorflow-gpu, tensorflow, wasm; cpu on request)
 * is measured where it can start and reported unavailable, with why, where it cannot.
 * Run: npm run bench, or
 *   node --import tsx bench/train-step.ts [--cases mlp,cnn] [--batches 64] [--steps 200] [--kernels]
 *     [--backends wasm,cpu] [--pytorch /usr/bin/python3]
 */
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import * as tf from '@tensorflow/tfjs';
import { initBackend, parseBackendRequest } from '../src/main/engine/backend.js';
import { loadNativeAddon } from '../src/main/engine/kernels/native-addon.js';
import { Classifier } from '../src/main/engine/models/classifier.js';
import type { ModelArchitecture } from '../src/main/engine/models/model-spec.js';
import { Random } from '../src/main/engine/random.js';
import { SgdOptimizer } from '../src/main/engine/train/optimizers.js';
import { trainingStep } from '../src/main/engine/train/trainer.js';

const CASES: { name: string; architecture: ModelArchitecture; input: [number, number, number] }[] = [
  { name: 'mlp', architecture: 'mlp', input: [28, 28, 1] },
  { name: 'cnn', architecture: 'cnn', input: [28, 28, 1] },
  { name: 'cnn3', architecture: 'cnn3', input: [32, 32, 3] },
  { name: 'resnet18', architecture: 'resnet18', input: [32, 32, 3] },
];

const { values } = parseArgs({
  options: {
    cases: { type: 'string' },
    batches: { type: 'string' },
    steps: { type: 'string' },
    seconds: { type: 'string' },
    kernels: { type: 'boolean' },
    /** A Python with torch: run bench/pytorch-train-step.py (2 threads) after each case. */
    pytorch: { type: 'string' },
    /** Backends to measure, each where it can start (default: the native ones and wasm; cpu on request). */
    backends: { type: 'string' },
    /** Internal: run one case in this process (each case gets its own, for its own peak memory and crashes). */
    only: { type: 'boolean' },
    /** Internal: the backend that process uses. */
    backend: { type: 'string' },
  },
});
const chosen = values.cases ? values.cases.split(',') : CASES.map((c) => c.name);
const batches = (values.batches ?? '64,256').split(',').map(Number);
/** Timed steps: at least this many seconds' worth, and at least `steps` when given. */
const minSeconds = Number(values.seconds ?? 5);
const minSteps = Number(values.steps ?? 2);

if (!values.only) {
  // One process per case: peak memory is the case's own, and a case that aborts (the wasm
  // heap is limited to 4 GiB) is reported instead of ending the benchmark.
  const forwarded = [
    ...(values.steps ? ['--steps', values.steps] : []),
    ...(values.seconds ? ['--seconds', values.seconds] : []),
    ...(values.kernels ? ['--kernels'] : []),
  ];
  for (const backendName of (values.backends ?? 'tensorflow-gpu,tensorflow,wasm').split(',')) {
    let unavailable = false;
    for (const c of CASES.filter((c) => chosen.includes(c.name))) {
      for (const batch of batches) {
        if (unavailable) continue;
        const child = spawnSync(process.execPath, [...process.execArgv, '--expose-gc', fileURLToPath(import.meta.url), ...forwarded, '--only', '--backend', backendName, '--cases', c.name, '--batches', String(batch)], {
          encoding: 'utf8',
          maxBuffer: 64 * 2 ** 20,
        });
        const line = child.stdout.split('\n').find((l) => l.startsWith('{'));
        if (child.status === 0 && line) console.log(line);
        else {
          const reason = child.stderr.split('\n').filter((l) => /Error|Aborted/.test(l)).slice(-1)[0]?.trim().slice(0, 300) ?? `exit ${child.status}`;
          // A backend that cannot start here is reported once, not once per case.
          unavailable = /no compute backend could start/.test(reason);
          console.log(JSON.stringify(unavailable ? { bench: 'train-step', backend: backendName, unavailable: reason } : { bench: 'train-step', backend: backendName, case: c.name, batch, failed: reason }));
        }
        if (values.pytorch && !unavailable) compareWithPytorch(values.pytorch, c.name, batch, line && child.status === 0 ? (JSON.parse(line) as { samplesPerSecond: number }) : undefined);
      }
    }
  }
  process.exit(0);
}

/** Runs the PyTorch reference for one case and prints it and how Lethe compares. */
function compareWithPytorch(python: string, name: string, batch: number, lethe: { samplesPerSecond: number } | undefined): void {
  const script = fileURLToPath(new URL('./pytorch-train-step.py', import.meta.url));
  const child = spawnSync(python, [script, '--threads', '2', '--cases', name, '--batches', String(batch), '--seconds', String(minSeconds)], { encoding: 'utf8' });
  const line = child.stdout.split('\n').find((l) => l.startsWith('{'));
  if (child.status !== 0 || !line) {
    console.log(JSON.stringify({ bench: 'train-step-pytorch', case: name, batch, failed: child.stderr.trim().split('\n').slice(-1)[0] ?? `exit ${child.status}` }));
    return;
  }
  console.log(line);
  const pytorch = JSON.parse(line) as { samplesPerSecond: number };
  if (lethe) {
    const ratio = Math.round((lethe.samplesPerSecond / pytorch.samplesPerSecond) * 100) / 100;
    console.log(JSON.stringify({ bench: 'train-step-vs-pytorch', case: name, batch, lethe: lethe.samplesPerSecond, pytorch: pytorch.samplesPerSecond, ratio }));
  }
}

const backend = await initBackend(values.backend ? parseBackendRequest(values.backend) : undefined);
const mib = (bytes: number) => Math.round((bytes / 2 ** 20) * 10) / 10;

for (const c of CASES.filter((c) => chosen.includes(c.name))) {
  for (const batch of batches) {
    const random = new Random(0);
    const model = Classifier.create({ architecture: c.architecture, inputShape: c.input, numClasses: 10, normalization: { mean: c.input[2] === 1 ? [0.5] : [0.5, 0.5, 0.5], std: c.input[2] === 1 ? [0.25] : [0.25, 0.25, 0.25] }, seed: 0 });
    const optimizer = new SgdOptimizer(0.9, 5e-4);
    const x = tf.tensor4d(Float32Array.from({ length: batch * c.input[0] * c.input[1] * c.input[2] }, () => random.next()), [batch, ...c.input]);
    const y = tf.tensor1d(Int32Array.from({ length: batch }, () => random.int(10)), 'int32');
    const step = () => trainingStep(model, optimizer, x, y, 0.01);
    step(); // warm-up: kernels compiled, optimizer state made
    const tensorsBefore = tf.memory().numTensors;
    const rssBefore = process.memoryUsage().rss;
    let steps = 0;
    // With --steps, resident memory and tensors at each quarter of the run, after a full
    // garbage collection (what is retained, not garbage V8 has yet to collect): flat means
    // no growth after the first quarter.
    const quarters = values.steps ? [1, 2, 3, 4].map((q) => Math.max(1, Math.round((minSteps * q) / 4))) : [];
    const memoryAtStep: Record<number, { rssMiB: number; tensors: number }> = {};
    const start = performance.now();
    while (steps < minSteps || performance.now() - start < minSeconds * 1000) {
      step();
      steps += 1;
      if (quarters.includes(steps)) {
        (globalThis as { gc?: () => void }).gc?.();
        memoryAtStep[steps] = { rssMiB: mib(process.memoryUsage().rss), tensors: tf.memory().numTensors };
      }
    }
    const seconds = (performance.now() - start) / 1000;
    const line: Record<string, unknown> = {
      bench: 'train-step',
      case: c.name,
      batch,
      backend: backend.name,
      ...(backend.kernels ? { backendKernels: backend.kernels } : {}),
      samplesPerSecond: Math.round((steps * batch) / seconds),
      msPerStep: Math.round((seconds / steps) * 1000 * 10) / 10,
      steps,
      tensors: { before: tensorsBefore, after: tf.memory().numTensors },
      rssMiB: { before: mib(rssBefore), after: mib(process.memoryUsage().rss), peak: mib(process.resourceUsage().maxRSS * 1024) },
      ...(quarters.length ? { memoryAtStep } : {}),
    };
    if (values.kernels) {
      const profile = await tf.profile(() => {
        step();
      });
      const byKernel = new Map<string, number>();
      for (const k of profile.kernels) byKernel.set(k.name, (byKernel.get(k.name) ?? 0) + Number(k.kernelTimeMs));
      const total = [...byKernel.values()].reduce((a, b) => a + b, 0);
      line.kernels = Object.fromEntries(
        [...byKernel.entries()].sort((a, b) => b[1] - a[1]).slice(0, 12).map(([name, ms]) => [name, `${ms.toFixed(1)} ms (${((100 * ms) / total).toFixed(0)}%)`]),
      );
      // Which oneDNN implementation each native primitive got (e.g. jit_wino_4x3, brgconv).
      const native = loadNativeAddon();
      if (native.addon && backend.kernels?.startsWith('native')) line.primitives = native.addon.implementations();
    }
    console.log(JSON.stringify(line));
    tf.dispose([x, y]);
    optimizer.dispose();
    model.dispose();
  }
}
