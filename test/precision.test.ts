/**
 * A run's precision: set by a study's recipe (its Retrain's too) and entries, recorded
 * with every classifier training and unlearning run (fp32 by default), and bf16 training of the MLP lands close to fp32's accuracy from the same
 * seed without equalling it (the setting reaches the kernels). The refusals where bf16
 * cannot run are in test/cli-refusals.test.ts; the kernels' numerics in
 * test/native-bf16.test.ts. Skipped where the native kernels are not built or the CPU
 * has no bf16 instructions.
 */
import { describe, expect, it } from 'vitest';
import { entryRuns, originalConfig, retrainConfig } from '../src/main/app/study-plan.js';
import { loadNativeAddon } from '../src/main/engine/kernels/native-addon.js';
import { parseClassifierStudyConfig, studyRowEntries } from '../src/shared/study-config.js';
import { serviceForTests } from './helpers.js';
import { requirement } from './requirements.js';

const native = loadNativeAddon();
const nativeKernels = requirement('native', 'the native kernels addon', native.addon ? null : native.reason);

function bf16Runs(): boolean {
  try {
    native.addon?.setPrecision('bf16');
    return native.addon !== undefined;
  } catch {
    return false;
  } finally {
    native.addon?.setPrecision('fp32');
  }
}

describe("a study's precision", () => {
  it("is its original's recipe's, which its Retrain follows; each method entry sets its own", () => {
    const study = parseClassifierStudyConfig({
      name: 'bf16',
      dataset: 'mnist',
      model: 'mlp',
      original: { epochs: 1, precision: 'bf16' },
      forget: { kind: 'random', percent: 10 },
      methods: [{ label: 'FT', method: 'ft' }, { label: 'GA', method: 'ga', precision: 'bf16' }],
    });
    expect(originalConfig(study).precision).toBe('bf16');
    expect(retrainConfig(study, 'hash', 1).precision).toBe('bf16');
    expect(studyRowEntries(study).map((entry) => entryRuns(study, entry, 'hash', 1)[0]!.config.precision)).toEqual(['fp32', 'bf16']);
  });
});

describe.skipIf(nativeKernels.skip || !bf16Runs())('a run in bf16', () => {
  const { service } = serviceForTests('precision');
  const recipe = { dataset: 'mnist', model: 'mlp', epochs: 1, batchSize: 256, seed: 3 };

  it('records its precision (fp32 by default) and trains the MLP to within a point of fp32 from the same seed', async () => {
    const fp32 = await service.waitForRun((await service.startTraining(recipe)).id);
    const bf16 = await service.waitForRun((await service.startTraining({ ...recipe, precision: 'bf16' })).id);
    const [fp32Run, bf16Run] = [await service.getRun(fp32.id), await service.getRun(bf16.id)];
    expect([fp32Run.status, bf16Run.status]).toEqual(['finished', 'finished']);
    expect([fp32Run.params.precision, bf16Run.params.precision]).toEqual(['fp32', 'bf16']);
    const accuracy = (run: typeof fp32Run) => run.latestMetrics.test_accuracy!;
    expect(accuracy(fp32Run)).toBeGreaterThan(0.8);
    expect(Math.abs(accuracy(bf16Run) - accuracy(fp32Run))).toBeLessThan(0.01);
    // The same seed and batches: only the products' rounding differs, and it shows.
    expect(bf16Run.checkpoints[0]!.hash).not.toBe(fp32Run.checkpoints[0]!.hash);
    expect(accuracy(bf16Run)).not.toBe(accuracy(fp32Run));

    const unlearned = await service.waitForRun((await service.startUnlearning({ checkpoint: bf16Run.checkpoints[0]!.hash, forgetSet: await forgetSet(), method: 'ga', epochs: 1, precision: 'bf16' })).id);
    expect(await service.getRun(unlearned.id)).toMatchObject({ status: 'finished', params: { precision: 'bf16' }, config: { precision: 'bf16' } });
  });

  async function forgetSet(): Promise<number> {
    return (await service.createForgetSet({ dataset: 'mnist', rule: { kind: 'random', percent: 1, seed: 1 } })).forgetSet.id;
  }
});
