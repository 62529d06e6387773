/**
 * Training-step throughput: a full step (forward, backward, SGD momentum + weight decay
 * update) of each benchmark model at batch 64 and 256, one JSON line per case with
 * samples/s (the best of three timed windows of --seconds each), GFLOP/s (the matrix
 * products and convolutions of forward and backward, counted from the model's layers)
 * and its fraction of the machine's sgemm peak (bench/peak.ts), the tensor count and
 * resident memory, and (with --kernels) where the time goes by kernel.
 * With --pytorch PYTHON each case is followed by bench/pytorch-train-step.py, the same
 * models in PyTorch (2 threads, best of three windows), once per configuration of
 * PYTORCH_CONFIGURATIONS, and a line comparing Lethe with PyTorch's fastest; a table of
 * every case ends the run.
 * Each backend of --backends (default tensorflow-gpu, tensorflow, wasm; cpu on request)
 * is measured where it can start and reported unavailable, with why, where it cannot.
 * With --precision bf16 each case runs in fp32 and then, back to back, in bf16 (the native
 * kernels' bf16 convolutions and matrix products), and a table of both ends the run.
 * Run: npm run bench, or
 *   node --import tsx bench/train-step.ts [--cases mlp,cnn] [--batches 64] [--steps 200] [--kernels]
 *     [--backends wasm,cpu] [--pytorch /usr/bin/python3] [--precision bf16]
 */
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import * as tf from '@tensorflow/tfjs';
import { util } from '@tensorflow/tfjs';
import { initBackend, parseBackendRequest } from '../src/main/engine/backend.js';
import { loadNativeAddon } from '../src/main/engine/kernels/native-addon.js';
import type { WasmHeapBackend } from '../src/main/engine/kernels/replace-wasm-kernel.js';
import { estimateJobBytes, measureModelMemory } from '../src/main/engine/memory-estimate.js';
import { Classifier } from '../src/main/engine/models/classifier.js';
import { enterPrecision } from '../src/main/engine/precision.js';
import type { ModelArchitecture } from '../src/main/engine/models/model-spec.js';
import { Random } from '../src/main/engine/random.js';
import { SgdOptimizer } from '../src/main/engine/train/optimizers.js';
import { trainingStep } from '../src/main/engine/train/trainer.js';
import { measurePeak } from './peak.js';
import { PRECISIONS, type Precision } from '../src/shared/train-config.js';

/**
 * The PyTorch configurations tried for each case; Lethe is compared with the fastest.
 * OpenBLAS starts its own threads on top of PyTorch's two OpenMP threads unless told
 * not to, and OpenMP's waiting threads spin unless passive: on 2 busy cores either can
 * make PyTorch's step many times slower than it can be.
 */
const PYTORCH_CONFIGURATIONS: Record<string, string | undefined>[] = [
  { OPENBLAS_NUM_THREADS: '1', OMP_WAIT_POLICY: undefined },
  { OPENBLAS_NUM_THREADS: undefined, OMP_WAIT_POLICY: undefined },
  { OPENBLAS_NUM_THREADS: '1', OMP_WAIT_POLICY: 'passive' },
  { OPENBLAS_NUM_THREADS: undefined, OMP_WAIT_POLICY: 'passive' },
];
/** Timed windows per case, for Lethe and for each PyTorch configuration alike; the fastest counts. */
const WINDOWS = 3;

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
    /** A Python with torch: run bench/pytorch-train-step.py (2 threads, each configuration) after each case. */
    pytorch: { type: 'string' },
    /** Backends to measure, each where it can start (default: the native ones and wasm; cpu on request). */
    backends: { type: 'string' },
    /** bf16: each case in fp32, then in bf16 (fp32: fp32 alone, the default). */
    precision: { type: 'string' },
    /** Internal: run one case in this process (each case gets its own, for its own peak memory and crashes). */
    only: { type: 'boolean' },
    /** Internal: the backend that process uses. */
    backend: { type: 'string' },
  },
});
const chosen = values.cases ? values.cases.split(',') : CASES.map((c) => c.name);
const batches = (values.batches ?? '64,256').split(',').map(Number);
/** Each timed window: at least this many seconds' worth of steps, and at least `steps` when given. */
const minSeconds = Number(values.seconds ?? 3);
const minSteps = Number(values.steps ?? 2);
const precision = (values.precision ?? 'fp32') as Precision;
if (!PRECISIONS.includes(precision)) throw new Error(`--precision must be one of ${PRECISIONS.join(', ')}; got '${precision}'`);

if (!values.only) {
  // One process per case: peak memory is the case's own, and a case that aborts (the wasm
  // heap is limited to 4 GiB) is reported instead of ending the benchmark.
  const forwarded = [
    ...(values.steps ? ['--steps', values.steps] : []),
    ...(values.seconds ? ['--seconds', values.seconds] : []),
    ...(values.kernels ? ['--kernels'] : []),
  ];
  const peak = measurePeak();
  console.log(JSON.stringify({ bench: 'sgemm-peak', size: 2048, ...peak }));
  const peakGflops = 'gflops' in peak ? peak.gflops : undefined;
  const rows: string[] = [];
  const precisionRows: string[] = [];
  for (const backendName of (values.backends ?? 'tensorflow-gpu,tensorflow,wasm').split(',')) {
    let unavailable = false;
    for (const c of CASES.filter((c) => chosen.includes(c.name))) {
      for (const batch of batches) {
        if (unavailable) continue;
        const measure = (at: Precision) =>
          spawnSync(process.execPath, [...process.execArgv, '--expose-gc', fileURLToPath(import.meta.url), ...forwarded, '--only', '--backend', backendName, '--cases', c.name, '--batches', String(batch), '--precision', at], {
            encoding: 'utf8',
            maxBuffer: 64 * 2 ** 20,
          });
        const child = measure('fp32');
        let line = child.stdout.split('\n').find((l) => l.startsWith('{'));
        if (child.status === 0 && line) {
          const result = JSON.parse(line) as Record<string, unknown> & { gflops: number };
          if (peakGflops) result.fractionOfPeak = Math.round((result.gflops / peakGflops) * 1000) / 1000;
          line = JSON.stringify(result);
          console.log(line);
        }
        else {
          const reason = child.stderr.split('\n').filter((l) => /Error|Aborted/.test(l)).slice(-1)[0]?.trim().slice(0, 300) ?? `exit ${child.status}`;
          // A backend that cannot start here is reported once, not once per case.
          unavailable = /no compute backend could start/.test(reason);
          console.log(JSON.stringify(unavailable ? { bench: 'train-step', backend: backendName, unavailable: reason } : { bench: 'train-step', backend: backendName, case: c.name, batch, failed: reason }));
        }
        if (precision === 'bf16' && !unavailable) precisionRows.push(compareWithBf16(measure('bf16'), c.name, batch, line && child.status === 0 ? (JSON.parse(line) as CaseResult) : undefined));
        if (values.pytorch && !unavailable) {
          const lethe = line && child.status === 0 ? (JSON.parse(line) as CaseResult) : undefined;
          rows.push(compareWithPytorch(values.pytorch, c.name, batch, lethe, peakGflops));
        }
      }
    }
  }
  if (rows.length) {
    console.log(`\nTraining step, samples/s (best of ${WINDOWS} windows of ${minSeconds} s each; PyTorch: the fastest of ${PYTORCH_CONFIGURATIONS.length} configurations; GFLOP/s against the ${peakGflops ?? '?'} GFLOP/s sgemm peak):`);
    console.log('| model | batch | Lethe | PyTorch at its best | ratio | Lethe GFLOP/s (of peak) | PyTorch GFLOP/s (of peak) | PyTorch configuration |');
    console.log('|---|---:|---:|---:|---:|---:|---:|---|');
    for (const row of rows) console.log(row);
  }
  if (precisionRows.length) {
    console.log(`\nTraining step, samples/s in fp32 and bf16, measured back to back (best of ${WINDOWS} windows of ${minSeconds} s each):`);
    console.log('| model | batch | fp32 | bf16 | bf16 / fp32 |');
    console.log('|---|---:|---:|---:|---:|');
    for (const row of precisionRows) console.log(row);
  }
  process.exit(0);
}

/** Prints the bf16 run of a case and returns its table row beside the fp32 one. */
function compareWithBf16(child: ReturnType<typeof spawnSync>, name: string, batch: number, fp32: CaseResult | undefined): string {
  const line = String(child.stdout).split('\n').find((l) => l.startsWith('{'));
  const bf16 = child.status === 0 && line ? (JSON.parse(line) as CaseResult) : undefined;
  const reason = String(child.stderr).split('\n').filter((l) => /Error/.test(l)).slice(-1)[0]?.trim().slice(0, 300) ?? `exit ${child.status}`;
  console.log(bf16 ? line : JSON.stringify({ bench: 'train-step', case: name, batch, precision: 'bf16', failed: reason }));
  const ratio = bf16 && fp32 ? (bf16.samplesPerSecond / fp32.samplesPerSecond).toFixed(2) : '';
  return `| ${name} | ${batch} | ${fp32?.samplesPerSecond ?? 'failed'} | ${bf16?.samplesPerSecond ?? 'failed'} | ${ratio} |`;
}

interface CaseResult {
  samplesPerSecond: number;
  flopsPerSample: number;
}

/** GFLOP/s at `samplesPerSecond`, with its fraction of the peak when there is one. */
function gflopsText(flopsPerSample: number, samplesPerSecond: number, peakGflops: number | undefined): string {
  const gflops = (flopsPerSample * samplesPerSecond) / 1e9;
  return `${gflops.toFixed(1)}${peakGflops ? ` (${Math.round((100 * gflops) / peakGflops)} %)` : ''}`;
}

/**
 * Runs the PyTorch reference for one case in each configuration, prints each and how
 * Lethe compares with the fastest, and returns the case's table row.
 */
function compareWithPytorch(python: string, name: string, batch: number, lethe: CaseResult | undefined, peakGflops: number | undefined): string {
  const script = fileURLToPath(new URL('./pytorch-train-step.py', import.meta.url));
  let best: { samplesPerSecond: number; backend: string; blas: string } | undefined;
  for (const configuration of PYTORCH_CONFIGURATIONS) {
    const env = { ...process.env, ...configuration };
    for (const [key, value] of Object.entries(configuration)) if (value === undefined) delete env[key];
    const child = spawnSync(python, [script, '--threads', '2', '--cases', name, '--batches', String(batch), '--seconds', String(minSeconds), '--repeats', String(WINDOWS)], { encoding: 'utf8', env });
    const line = child.stdout.split('\n').find((l) => l.startsWith('{'));
    if (child.status !== 0 || !line) {
      console.log(JSON.stringify({ bench: 'train-step-pytorch', case: name, batch, configuration, failed: child.stderr.trim().split('\n').slice(-1)[0] ?? `exit ${child.status}` }));
      continue;
    }
    console.log(line);
    const result = JSON.parse(line) as { samplesPerSecond: number; backend: string; blas: string };
    if (!best || result.samplesPerSecond > best.samplesPerSecond) best = result;
  }
  const label = `| ${name} | ${batch} |`;
  if (!best || !lethe) return `${label} ${lethe?.samplesPerSecond ?? 'failed'} | ${best?.samplesPerSecond ?? 'failed'} | | | | |`;
  const ratio = Math.round((lethe.samplesPerSecond / best.samplesPerSecond) * 100) / 100;
  // Debian's reference libblas3 is not PyTorch at its best: say so wherever it shows.
  const referenceBlas = !/openblas|mkl|blis/i.test(best.blas);
  console.log(JSON.stringify({ bench: 'train-step-vs-pytorch', case: name, batch, lethe: lethe.samplesPerSecond, pytorch: best.samplesPerSecond, pytorchConfiguration: best.backend, ratio, ...(referenceBlas ? { warning: `PyTorch runs on ${best.blas}, not an optimised BLAS: apt-get install libopenblas0-pthread for its best` } : {}) }));
  const configuration = best.backend.replace(/^.*threads, /, '') + (referenceBlas ? `, reference BLAS ${best.blas}` : '');
  return `${label} ${lethe.samplesPerSecond} | ${best.samplesPerSecond} | ${ratio.toFixed(2)} | ${gflopsText(lethe.flopsPerSample, lethe.samplesPerSecond, peakGflops)} | ${gflopsText(lethe.flopsPerSample, best.samplesPerSecond, peakGflops)} | ${configuration} |`;
}

/**
 * FLOPs of one sample's forward and backward pass through the model's matrix products
 * and convolutions (2 per multiply-add; elementwise work not counted): each layer's
 * forward product, its weight gradient (as many again) and its input gradient (as many
 * again) except for the first layer, whose input needs none. Read from the kernels one
 * forward pass of a single sample runs.
 */
async function flopsPerSample(model: Classifier, input: [number, number, number]): Promise<number> {
  const profile = await tf.profile(() => {
    tf.tidy(() => {
      tf.dispose(model.forward(tf.zeros([1, ...input]) as tf.Tensor4D, true).bufferUpdates.map((u) => u.value));
    });
  });
  const forward: number[] = [];
  for (const k of profile.kernels) {
    const [a, b] = k.inputShapes as number[][];
    if (/^(LetheConv2D|FusedConv2D|Conv2D)$/.test(k.name) && a && b) {
      const [kh, kw, inChannels] = b as [number, number, number, number];
      forward.push(2 * util.sizeFromShape(k.outputShapes[0]!) * kh * kw * inChannels);
    } else if (/^(_FusedMatMul|BatchMatMul|MatMul|LetheDense)$/.test(k.name) && k.outputShapes[0] && a) {
      // output m x n, times the inner dimension k (the last of a, not transposed in these models)
      forward.push(2 * util.sizeFromShape(k.outputShapes[0]) * a[a.length - 1]!);
    }
  }
  const total = forward.reduce((sum, f) => sum + f, 0);
  return 3 * total - (forward[0] ?? 0);
}

const backend = await initBackend(values.backend ? parseBackendRequest(values.backend) : undefined);
enterPrecision(precision, backend);
const mib = (bytes: number) => Math.round((bytes / 2 ** 20) * 10) / 10;

for (const c of CASES.filter((c) => chosen.includes(c.name))) {
  for (const batch of batches) {
    const random = new Random(0);
    const model = Classifier.create({ architecture: c.architecture, inputShape: c.input, numClasses: 10, normalization: { mean: c.input[2] === 1 ? [0.5] : [0.5, 0.5, 0.5], std: c.input[2] === 1 ? [0.25] : [0.25, 0.25, 0.25] }, seed: 0 });
    const optimizer = new SgdOptimizer(0.9, 5e-4);
    const modelMemory = measureModelMemory(model);
    const x = tf.tensor4d(Float32Array.from({ length: batch * c.input[0] * c.input[1] * c.input[2] }, () => random.next()), [batch, ...c.input]);
    const y = tf.tensor1d(Int32Array.from({ length: batch }, () => random.int(10)), 'int32');
    const step = () => trainingStep(model, optimizer, x, y, 0.01);
    step(); // warm-up: kernels compiled, optimizer state made
    const tensorsBefore = tf.memory().numTensors;
    const rssBefore = process.memoryUsage().rss;
    // With --steps, resident memory and tensors at each quarter of the run, after a full
    // garbage collection (what is retained, not garbage V8 has yet to collect): flat means
    // no growth after the first quarter. That run is one window; otherwise the fastest of WINDOWS.
    const quarters = values.steps ? [1, 2, 3, 4].map((q) => Math.max(1, Math.round((minSteps * q) / 4))) : [];
    const memoryAtStep: Record<number, { rssMiB: number; tensors: number }> = {};
    let best = { samplesPerSecond: 0, seconds: 0, steps: 0 };
    const windows: number[] = [];
    for (let w = 0; w < (quarters.length ? 1 : WINDOWS); w += 1) {
      let steps = 0;
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
      windows.push(Math.round((steps * batch) / seconds));
      if ((steps * batch) / seconds > best.samplesPerSecond) best = { samplesPerSecond: (steps * batch) / seconds, seconds, steps };
    }
    const flops = await flopsPerSample(model, c.input);
    const line: Record<string, unknown> = {
      bench: 'train-step',
      case: c.name,
      batch,
      backend: backend.name,
      precision,
      ...(backend.kernels ? { backendKernels: backend.kernels } : {}),
      samplesPerSecond: Math.round(best.samplesPerSecond),
      windows,
      msPerStep: Math.round((best.seconds / best.steps) * 1000 * 10) / 10,
      steps: best.steps,
      flopsPerSample: flops,
      gflops: Math.round((flops * best.samplesPerSecond) / 1e8) / 10,
      tensors: { before: tensorsBefore, after: tf.memory().numTensors },
      rssMiB: { before: mib(rssBefore), after: mib(process.memoryUsage().rss), peak: mib(process.resourceUsage().maxRSS * 1024) },
      // The wasm heap only grows: its size is the step's high-water mark, what must stay under 4 GiB.
      ...(backend.name === 'wasm' ? { heapMiB: mib((tf.backend() as unknown as WasmHeapBackend).wasm.HEAPU8.buffer.byteLength) } : {}),
      // What src/main/engine/memory-estimate.ts estimates for these steps (SGD with momentum: gradients and velocity).
      estimateMiB: mib(estimateJobBytes(modelMemory, { batchSize: batch, evalBatchSize: 0, parameterCopies: 2, samples: batch })),
      modelMemory,
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
