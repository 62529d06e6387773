/**
 * Multi-objective step cost: a two-objective RAUL step (retain cross-entropy, UniDist
 * forget) with LS, UPGrad and MGDA against one single-objective training step, same
 * model and batch, and the weighting's own time on the step's Gramian. One JSON line per
 * case. Run: npm run bench
 */
import * as tf from '@tensorflow/tfjs';
import { initBackend } from '../src/main/engine/backend.js';
import { makeInputBatch, makeLabelBatch } from '../src/main/engine/data/batches.js';
import type { ImageDataset } from '../src/main/engine/data/dataset.js';
import { Classifier } from '../src/main/engine/models/classifier.js';
import { gramianOf } from '../src/main/engine/moo/gramian.js';
import { multiObjectiveStep } from '../src/main/engine/moo/multi-objective-step.js';
import { createAggregator } from '../src/main/engine/moo/registry.js';
import { Random } from '../src/main/engine/random.js';
import { crossEntropy } from '../src/main/engine/train/evaluate.js';
import { SgdOptimizer } from '../src/main/engine/train/optimizers.js';
import { trainingStep } from '../src/main/engine/train/trainer.js';
import { uniformReferenceLoss } from '../src/main/engine/unlearn/reference-losses.js';

const backend = await initBackend();
const random = new Random(0);
const count = 512;
const dataset: ImageDataset = {
  name: 'bench', digest: '', height: 28, width: 28, channels: 1, classNames: Array.from({ length: 10 }, String), count, dtype: 'uint8',
  pixels: Uint8Array.from({ length: count * 784 }, () => random.int(256)), labels: Uint8Array.from({ length: count }, () => random.int(10)), testCount: 0,
};
const BATCH = 64;
const retain = Int32Array.from({ length: BATCH }, (_, i) => i);
const forget = Int32Array.from({ length: BATCH }, (_, i) => BATCH + i);

function time(run: () => void, repeats: number): number {
  for (let i = 0; i < 3; i++) run();
  const start = performance.now();
  for (let i = 0; i < repeats; i++) run();
  return (performance.now() - start) / repeats;
}

for (const architecture of ['mlp', 'cnn'] as const) {
  const model = Classifier.create({ architecture, inputShape: [28, 28, 1], numClasses: 10, normalization: { mean: [0.5], std: [0.3] }, seed: 0 });
  const optimizer = new SgdOptimizer(0.9, 5e-4);
  const x = makeInputBatch(dataset, retain);
  const y = makeLabelBatch(dataset, retain);
  const single = time(() => trainingStep(model, optimizer, x, y, 1e-3), 20);
  const objectives = [
    () => {
      const { logits, bufferUpdates } = model.forward(makeInputBatch(dataset, retain), true);
      return { loss: crossEntropy(logits, makeLabelBatch(dataset, retain)), bufferUpdates };
    },
    () => {
      const { logits, bufferUpdates } = model.forward(makeInputBatch(dataset, forget), true);
      return { loss: uniformReferenceLoss(logits), bufferUpdates };
    },
  ];
  const gramian = gramianOf([[1, 0.2, -0.3], [-0.4, 1, 0.5]]);
  for (const name of ['mean', 'upgrad', 'mgda'] as const) {
    const weighting = createAggregator(name);
    const step = time(() => multiObjectiveStep(model.trainableVariables(), objectives, weighting, optimizer, 1e-3), 20);
    const weightingMs = time(() => weighting(gramian, 2), 2000);
    console.log(
      JSON.stringify({
        case: `${architecture} batch ${BATCH}, 2 objectives, ${name}`,
        backend: backend.name,
        parameters: model.parameterCount(),
        singleObjectiveStepMs: Number(single.toFixed(2)),
        stepMs: Number(step.toFixed(2)),
        relativeToSingle: Number((step / single).toFixed(2)),
        weightingMs: Number(weightingMs.toFixed(4)),
        weightingShare: Number((weightingMs / step).toExponential(2)),
      }),
    );
  }
  tf.dispose([x, y]);
  optimizer.dispose();
  model.dispose();
}
