/** Worker thread: one MIA-efficacy attack (an SVM fit and its predictions) per message. */
import { parentPort } from 'node:worker_threads';
import type { MiaFeatureName } from '../../../shared/evaluation.js';
import { miaEfficacy, type ScoredSamples } from './mia.js';

export interface MiaTask {
  feature: MiaFeatureName;
  retain: ScoredSamples;
  test: ScoredSamples;
  forget: ScoredSamples;
  /** Shared with the caller: non-zero once the evaluation is cancelled. */
  cancel?: Int32Array;
}

parentPort!.on('message', (task: MiaTask) => {
  try {
    parentPort!.postMessage({ efficacy: miaEfficacy(task.feature, task.retain, task.test, task.forget, task.cancel) });
  } catch (error) {
    parentPort!.postMessage({ error: (error as Error).message });
  }
});
