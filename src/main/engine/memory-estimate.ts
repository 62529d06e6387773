/**
 * Whether a training or unlearning job fits in memory, estimated before it starts. On the
 * wasm backend every tensor lives in one 32-bit WebAssembly heap that can grow to 4 GiB
 * and no further: a step whose tensors pass it aborts the engine mid-run. The estimate
 * is the model's parameter-sized tensors (parameters, gradients, optimizer state, the
 * other models a method keeps) plus the batch times what one sample's training-mode
 * forward pass keeps alive, scaled by factors fitted to measured heap sizes
 * (docs/performance.md, "Memory").
 */
import * as tf from '@tensorflow/tfjs';
import { InvalidRequestError } from '../../shared/validation.js';
import { Classifier } from './models/classifier.js';
import type { ModelSpec } from './models/model-spec.js';

/** The wasm heap's maximum (tfjs-backend-wasm's WebAssembly.Memory maximum). */
export const WASM_HEAP_LIMIT_BYTES = 4 * 2 ** 30;

/**
 * Heap bytes per byte that one sample's forward pass keeps alive. Training: the
 * activations the tape holds, their gradients and the allocator's slack (measured 2.2
 * for ResNet-18, 2.33 for cnn3 at batches 64 to 1024); evaluation: the forward pass
 * alone (1.10 to 1.12). Rounded up so that the estimate errs towards refusing.
 */
const TRAINING_FACTOR = 2.4;
const EVALUATION_FACTOR = 1.2;
/** The heap's initial size, which the backend's own buffers use. */
const BASE_BYTES = 16 * 2 ** 20;

export interface ModelMemory {
  /** Bytes of the model's tensors (parameters and buffers). */
  parameterBytes: number;
  /** Bytes one sample's training-mode forward pass keeps alive until its step ends. */
  activationBytesPerSample: number;
  /** Bytes one sample's evaluation-mode forward pass keeps alive until its batch ends. */
  evaluationBytesPerSample: number;
}

/** Measures a model's memory on the running backend: one sample's forward pass in each mode, then freed. */
export function measureModelMemory(model: Classifier): ModelMemory {
  const kept = (training: boolean) => {
    const before = tf.memory().numBytes;
    let bytes = 0;
    tf.tidy(() => {
      const { bufferUpdates } = model.forward(tf.zeros([1, ...model.spec.inputShape]) as tf.Tensor4D, training);
      bytes = tf.memory().numBytes - before;
      // Batch norm's running-statistics updates outlive a tidy (kept for the step to apply); none is applied here.
      tf.dispose(bufferUpdates.map((u) => u.value));
    });
    return bytes;
  };
  return {
    parameterBytes: model.tensors().reduce((sum, t) => sum + t.variable.size * 4, 0),
    activationBytesPerSample: kept(true),
    evaluationBytesPerSample: kept(false),
  };
}

/** The memory of a model not built yet: built from its spec (its input statistics do not matter), measured and freed. */
export function measureSpecMemory(spec: Omit<ModelSpec, 'normalization'>): ModelMemory {
  const channels = spec.inputShape[2];
  const probe = Classifier.create({ ...spec, normalization: { mean: new Array<number>(channels).fill(0), std: new Array<number>(channels).fill(1) } });
  try {
    return measureModelMemory(probe);
  } finally {
    probe.dispose();
  }
}

/** Parameter-sized tensors an optimizer keeps per parameter (SGD's velocity; AdamW's two moments). */
export function optimizerSlots(optimizer: 'sgd' | 'adamw', momentum: number): number {
  return optimizer === 'adamw' ? 2 : momentum !== 0 ? 1 : 0;
}

export interface JobShape {
  batchSize: number;
  evalBatchSize: number;
  /**
   * Parameter-sized tensors besides the model's own alive during a step: its gradients,
   * the optimizer's slots, the parameters' new values, other models a method keeps, and
   * each objective's flattened gradient.
   */
  parameterCopies: number;
  /** The dataset's size: no batch holds more samples than that. */
  samples: number;
}

/** Estimated peak heap bytes of a job: its training steps or its evaluation batches, whichever is larger. */
export function estimateJobBytes(memory: ModelMemory, shape: JobShape): number {
  const parameters = (1 + shape.parameterCopies) * memory.parameterBytes;
  const training = TRAINING_FACTOR * Math.min(shape.batchSize, shape.samples) * memory.activationBytesPerSample;
  const evaluation = EVALUATION_FACTOR * Math.min(shape.evalBatchSize, shape.samples) * memory.evaluationBytesPerSample;
  return BASE_BYTES + parameters + Math.max(training, evaluation);
}

const gib = (bytes: number) => `${(bytes / 2 ** 30).toFixed(1)} GiB`;

/**
 * Refuses, before anything is recorded or written, a job on the wasm backend whose
 * estimate exceeds the heap's limit, naming the estimate, the limit and the batch sizes
 * that fit. Other backends have no such limit and are not checked.
 */
export function checkJobFitsInHeap(backend: string, memory: ModelMemory, shape: JobShape, limitBytes = WASM_HEAP_LIMIT_BYTES): void {
  if (backend !== 'wasm') return;
  const estimate = estimateJobBytes(memory, shape);
  if (estimate <= limitBytes) return;
  const room = limitBytes - BASE_BYTES - (1 + shape.parameterCopies) * memory.parameterBytes;
  const largest = (factor: number, perSample: number) => Math.max(0, Math.floor(room / (factor * perSample)));
  const trainingFits = largest(TRAINING_FACTOR, memory.activationBytesPerSample);
  const evaluationFits = largest(EVALUATION_FACTOR, memory.evaluationBytesPerSample);
  const advice = room <= 0
    ? 'the model alone does not fit'
    : `batch size up to ${trainingFits} and eval batch size up to ${evaluationFits} fit`;
  throw new InvalidRequestError(
    `this job needs an estimated ${gib(estimate)} of memory (batch size ${shape.batchSize}, eval batch size ${shape.evalBatchSize}), more than the wasm backend's ${gib(limitBytes)} heap: ${advice}`,
  );
}
