/**
 * Loads a checkpoint (verifying its hash) and measures loss and accuracy on the train,
 * held-out and test parts of the split it was trained with, read from its provenance.
 * Given a forget set, it also runs the protocol's assessment against the model the
 * checkpoint was unlearned from and writes the per-sample scores beside the catalog.
 */
import path from 'node:path';
import type { EvaluateJob, EvaluateJobResult } from '../../../shared/engine-protocol.js';
import { loadCheckpoint, resolveCheckpoint } from '../checkpoint.js';
import { assess } from '../evaluation/assess.js';
import { writeScoreFile } from '../evaluation/score-file.js';
import type { Classifier } from '../models/classifier.js';
import { evaluate } from '../train/evaluate.js';
import { openCheckpoint, openCheckpointWithForgetSet } from './checkpoint-context.js';
import { checkpointsRoot, type JobContext } from './train-job.js';

const EVAL_BATCH_SIZE = 1000;

export async function runEvaluateJob(job: EvaluateJob, context: Pick<JobContext, 'backend' | 'notice'> & { signal?: AbortSignal }): Promise<EvaluateJobResult> {
  const started = Date.now();
  const opened = job.forget
    ? openCheckpointWithForgetSet(job.dataDir, job.checkpoint, job.forget, context.notice)
    : { ...openCheckpoint(job.dataDir, job.checkpoint, context.notice), forget: undefined, retain: undefined };
  const { folder, provenance, dataset, split } = opened;
  const model = loadCheckpoint(folder);
  let original: Classifier | undefined;
  try {
    const batchSize = job.forget?.batchSize ?? EVAL_BATCH_SIZE;
    const measure = (indices: Int32Array) => evaluate(model, dataset, indices, batchSize);
    const hash = path.basename(folder);
    // The assessment first: its MIA attacks start in worker threads, and the split measures
    // below run on this thread while they work instead of before them.
    original = job.forget && opened.forget && provenance.from ? loadCheckpoint(resolveCheckpoint(checkpointsRoot(job.dataDir), provenance.from)) : undefined;
    const assessing = job.forget && opened.forget
      ? assess({
          model,
          original: original ?? model,
          originalKey: provenance.from ?? hash,
          loadCopy: () => loadCheckpoint(folder),
          dataset,
          split,
          forget: opened.forget,
          retain: opened.retain,
          checks: job.forget.checks,
          batchSize,
          signal: context.signal,
          onPhase: (phase) => context.notice(`evaluating: ${phase}`),
        })
      : undefined;
    assessing?.catch(() => {}); // awaited below; a failure of the split measures must not leave it unhandled
    const result: EvaluateJobResult = {
      kind: 'evaluate',
      checkpoint: { hash, path: folder },
      model: model.spec.architecture,
      dataset: { name: dataset.name, digest: dataset.digest },
      splits: { train: measure(split.train), heldOut: measure(split.heldOut), test: measure(split.test) },
      backend: context.backend,
      seconds: 0,
    };
    if (assessing && job.forget) {
      const { assessment, scores } = await assessing;
      const file = path.join(job.dataDir, 'artifacts', 'scores', `${hash.slice(0, 16)}-${path.basename(job.forget.path, '.json')}.scores`);
      result.assessment = assessment;
      result.scores = { path: file, hash: writeScoreFile(file, scores) };
    }
    result.seconds = (Date.now() - started) / 1000;
    return result;
  } finally {
    model.dispose();
    original?.dispose();
  }
}
