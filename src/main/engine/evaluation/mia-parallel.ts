/**
 * The MIA attacks of one evaluation, one feature per worker thread: each SVM fit takes
 * seconds on one thread, and the engine's own thread is busy with TensorFlow.js
 * meanwhile (boundary, PGD, relearning). As many workers as cores, kept between
 * evaluations (a study runs dozens; starting two workers costs about 0.4 s of CPU).
 */
import fs from 'node:fs';
import os from 'node:os';
import { fileURLToPath } from 'node:url';
import { SHARE_ENV, Worker } from 'node:worker_threads';
import type { MiaFeatureName } from '../../../shared/evaluation.js';
import { CancelledError } from '../train/trainer.js';
import type { ScoredSamples } from './mia.js';
import type { MiaTask } from './mia-worker.js';

/**
 * The worker script: beside this module in the sources (run through tsx); in the build,
 * out/main/mia-worker.js, beside the CLI's engine.js or one level above the app's engine chunk.
 */
function startWorker(): Worker {
  // The environment is shared, not copied at start: a kept worker sees LETHE_SVM as it is now.
  if (!import.meta.url.endsWith('.ts')) {
    const built = ['./mia-worker.js', '../mia-worker.js'].map((p) => new URL(p, import.meta.url)).find((url) => fs.existsSync(url));
    if (!built) throw new Error(`the MIA worker script is missing beside ${fileURLToPath(import.meta.url)}; rebuild Lethe`);
    return new Worker(built, { env: SHARE_ENV });
  }
  const file = new URL('./mia-worker.ts', import.meta.url).href;
  const tsx = import.meta.resolve('tsx/esm/api');
  return new Worker(`import(${JSON.stringify(tsx)}).then(({ register }) => { register(); return import(${JSON.stringify(file)}); })`, { eval: true, env: SHARE_ENV });
}

/** Idle workers from earlier evaluations; unreferenced, so they never keep the process alive. */
const idle: Worker[] = [];

/** How many workers wait for the next evaluation's attacks. */
export function idleMiaWorkers(): number {
  return idle.length;
}

function takeWorkers(count: number): Worker[] {
  const workers = idle.splice(0, count);
  while (workers.length < count) workers.push(startWorker());
  for (const worker of workers) worker.ref();
  return workers;
}

function keepWorkers(workers: Worker[]): void {
  for (const worker of workers) worker.unref();
  idle.push(...workers);
}

function runTask(worker: Worker, task: MiaTask): Promise<number> {
  return new Promise((resolve, reject) => {
    const cleanup = () => {
      worker.off('message', onMessage);
      worker.off('error', onError);
    };
    const onMessage = (reply: { efficacy?: number; error?: string }) => {
      cleanup();
      if (reply.error !== undefined) reject(new Error(`MIA attack on ${task.feature}: ${reply.error}`));
      else resolve(reply.efficacy!);
    };
    const onError = (error: Error) => {
      cleanup();
      reject(new Error(`MIA worker failed on ${task.feature}: ${error.message}`));
    };
    worker.on('message', onMessage);
    worker.on('error', onError);
    worker.postMessage(task);
  });
}

/**
 * MIA-efficacy in [0, 1] per feature; members are the first |test| retain samples. A
 * cancellation stops the SVM fits at once (they are most of an evaluation's time).
 */
export async function miaEfficacies(
  features: readonly MiaFeatureName[],
  retain: ScoredSamples,
  test: ScoredSamples,
  forget: ScoredSamples,
  signal?: AbortSignal,
): Promise<Record<MiaFeatureName, number>> {
  const members = test.labels.length;
  // Only the members travel to the workers.
  const retainHead: ScoredSamples = {
    probabilities: Float32Array.from({ length: Math.min(members, retain.labels.length) * retain.classes }, (_, k) => retain.probabilities[k]!),
    labels: Int32Array.from({ length: Math.min(members, retain.labels.length) }, (_, k) => retain.labels[k]!),
    classes: retain.classes,
  };
  const queue = [...features];
  const results = {} as Record<MiaFeatureName, number>;
  // Terminating a worker waits for a native SVM fit to return; this flag, set when the
  // attacks end early (cancelled, or another attack failed), makes it return at once.
  const cancel = new Int32Array(new SharedArrayBuffer(4));
  let onAbort = () => {};
  const cancelled = new Promise<never>((_, reject) => {
    onAbort = () => reject(new CancelledError());
    if (signal?.aborted) onAbort();
    else signal?.addEventListener('abort', onAbort, { once: true });
  });
  const workers = takeWorkers(Math.max(1, Math.min(queue.length, os.availableParallelism())));
  let finished = false;
  try {
    await Promise.race([
      cancelled,
      Promise.all(
        workers.map(async (worker) => {
          for (let feature = queue.shift(); feature !== undefined; feature = queue.shift()) {
            results[feature] = await runTask(worker, { feature, retain: retainHead, test, forget, cancel });
          }
        }),
      ),
    ]);
    finished = true;
  } finally {
    Atomics.store(cancel, 0, 1);
    signal?.removeEventListener('abort', onAbort);
    // Workers of attacks that ended early may still be answering an abandoned task: not kept.
    if (finished) keepWorkers(workers);
    else await Promise.all(workers.map((w) => w.terminate()));
  }
  return results;
}
