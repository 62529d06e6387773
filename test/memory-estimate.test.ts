/**
 * The memory estimate that refuses jobs too large for the wasm heap
 * (src/main/engine/memory-estimate.ts), against the heap a fresh engine really grows to:
 * a few SGD steps or an evaluation batch of a small conv net. The heap only grows, so
 * its size afterwards is the high-water mark the 4 GiB limit applies to. Each
 * measurement runs in its own process, whose heap nothing else has grown.
 * The refusal through the command line is in test/cli-refusals.test.ts.
 */
import { spawnSync } from 'node:child_process';
import * as tf from '@tensorflow/tfjs';
import { describe, expect, it } from 'vitest';
import { initBackend } from '../src/main/engine/backend.js';
import { checkJobFitsInHeap, estimateJobBytes, measureSpecMemory, type JobShape, type ModelMemory } from '../src/main/engine/memory-estimate.js';

/** The estimate is at least the measured heap (it must not let a job through that aborts) and at most this much more. */
const TOLERANCE = 1.3;

interface Measured {
  memory: ModelMemory;
  heapBytes: number;
}

/** Grows a fresh wasm heap with `steps` SGD steps at `batch` (or one evaluation batch) and reports its size. */
function measure(architecture: 'cnn' | 'cnn3', batch: number, mode: 'train' | 'evaluate'): Measured {
  const script = `
    import * as tf from '@tensorflow/tfjs';
    import { initBackend } from './src/main/engine/backend.ts';
    import { measureModelMemory } from './src/main/engine/memory-estimate.ts';
    import { Classifier } from './src/main/engine/models/classifier.ts';
    import { SgdOptimizer } from './src/main/engine/train/optimizers.ts';
    import { trainingStep } from './src/main/engine/train/trainer.ts';
    await initBackend('wasm');
    const input = ${architecture === 'cnn' ? '[28, 28, 1]' : '[32, 32, 3]'};
    const channels = input[2];
    const model = Classifier.create({ architecture: '${architecture}', inputShape: input, numClasses: 10, normalization: { mean: new Array(channels).fill(0.5), std: new Array(channels).fill(0.25) }, seed: 0 });
    const memory = measureModelMemory(model);
    const x = tf.randomUniform([${batch}, ...input]);
    if ('${mode}' === 'train') {
      const optimizer = new SgdOptimizer(0.9, 5e-4);
      const y = tf.tensor1d(Int32Array.from({ length: ${batch} }, (_, i) => i % 10), 'int32');
      for (let step = 0; step < 3; step += 1) trainingStep(model, optimizer, x, y, 0.01);
    } else {
      tf.tidy(() => model.predict(x).dataSync());
    }
    console.log(JSON.stringify({ memory, heapBytes: tf.backend().wasm.HEAPU8.buffer.byteLength }));
  `;
  const child = spawnSync(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', script], { encoding: 'utf8', env: { ...process.env, LETHE_BACKEND: 'wasm' } });
  expect(child.status, child.stderr).toBe(0);
  return JSON.parse(child.stdout.trim().split('\n').pop()!) as Measured;
}

describe('the memory estimate', () => {
  it.each([
    ['cnn', 512, 'train'],
    ['cnn3', 256, 'train'],
    ['cnn3', 1000, 'evaluate'],
  ] as const)(`of %s at batch %i (%s) is within ${TOLERANCE}x above the heap it grows`, (architecture, batch, mode) => {
    const { memory, heapBytes } = measure(architecture, batch, mode);
    // The step must really have grown the heap for the comparison to mean something.
    expect(heapBytes).toBeGreaterThan(100 * 2 ** 20);
    const shape: JobShape = mode === 'train' ? { batchSize: batch, evalBatchSize: 0, parameterCopies: 2, samples: batch } : { batchSize: 0, evalBatchSize: batch, parameterCopies: 0, samples: batch };
    const estimate = estimateJobBytes(memory, shape);
    expect(estimate).toBeGreaterThanOrEqual(heapBytes);
    expect(estimate).toBeLessThanOrEqual(TOLERANCE * heapBytes);
  });

  it('measures a model, batch norm included, without leaving a tensor behind', async () => {
    await initBackend('wasm');
    const before = tf.memory().numTensors;
    const memory = measureSpecMemory({ architecture: 'resnet18', inputShape: [8, 8, 3], numClasses: 10, seed: 0 });
    expect(tf.memory().numTensors).toBe(before);
    // Its 11,173,962 parameters and the running mean and variance of 4,800 channels, 4 bytes each.
    expect(memory.parameterBytes).toBe(4 * (11_173_962 + 9_600));
    expect(memory.activationBytesPerSample).toBeGreaterThan(0);
  });

  const resnetLike: ModelMemory = { parameterBytes: 44_734_248, activationBytesPerSample: 5_114_712, evaluationBytesPerSample: 8_153_176 };

  it('refuses a wasm job over the limit, naming the estimate, the limit and the batch sizes that fit', () => {
    const shape: JobShape = { batchSize: 512, evalBatchSize: 256, parameterCopies: 2, samples: 50_000 };
    expect(() => checkJobFitsInHeap('wasm', resnetLike, shape)).toThrow(
      /needs an estimated 6\.0 GiB of memory \(batch size 512, eval batch size 256\), more than the wasm backend's 4\.0 GiB heap: batch size up to 337 and eval batch size up to 423 fit/,
    );
    // What it says fits does.
    expect(() => checkJobFitsInHeap('wasm', resnetLike, { ...shape, batchSize: 337 })).not.toThrow();
    expect(() => checkJobFitsInHeap('wasm', resnetLike, { ...shape, batchSize: 338 })).toThrow(/batch size 338/);
  });

  it('counts no batch larger than the dataset, and leaves backends without the heap limit alone', () => {
    expect(() => checkJobFitsInHeap('wasm', resnetLike, { batchSize: 4096, evalBatchSize: 4096, parameterCopies: 2, samples: 100 })).not.toThrow();
    expect(() => checkJobFitsInHeap('tensorflow', resnetLike, { batchSize: 4096, evalBatchSize: 4096, parameterCopies: 2, samples: 50_000 })).not.toThrow();
  });
});
