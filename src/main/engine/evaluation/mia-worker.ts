/** Worker thread: one MIA-efficacy attack (an SVM fit and its predictions) per message. */
import { parentPort } from 'node:worker_threads';
import type { MiaFeatureName } from '../../../shared/evaluation.js';
import { miaEfficacy, type ScoredSamples } from './mia.js';

export interface MiaTask {
  feature: MiaFeatureName;
  retain: ScoredSamples;
  test: ScoredSamples;
  forget: ScoredSamples;
}

parentPort!.on('message', (task: MiaTask) => {
  try {
    parentPort!.postMessage({ efficacy: miaEfficacy(task.feature, task.retain, task.test, task.forget) });
  } catch (error) {
    parentPort!.postMessage({ error: (error as Error).message });
  }
});
