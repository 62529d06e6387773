import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { initBackend } from '../src/main/engine/backend.js';
import { AdamWOptimizer, SgdOptimizer } from '../src/main/engine/train/optimizers.js';
import { makeSchedule, warmupCosine } from '../src/main/engine/train/schedules.js';

beforeAll(async () => {
  await initBackend('wasm');
});

function run(optimizer: SgdOptimizer | AdamWOptimizer, theta0: number[], grads: number[][], lr: number): number[][] {
  const theta = tf.variable(tf.tensor1d(theta0));
  const trace: number[][] = [];
  for (const g of grads) {
    const gt = tf.tensor1d(g);
    optimizer.step([theta], [gt], lr);
    gt.dispose();
    trace.push([...theta.dataSync()]);
  }
  optimizer.dispose();
  theta.dispose();
  return trace;
}

describe('SGD with momentum and coupled weight decay (PyTorch semantics)', () => {
  it('matches hand-computed steps', () => {
    // theta0 = (1, -2), wd = 0.1, momentum 0.9, lr 0.5.
    // step 1: d = g + wd*theta = (0.5+0.1, 1-0.2) = (0.6, 0.8); buf = d; theta = (0.7, -2.4)
    // step 2: d = (-1+0.07, 0.5-0.24) = (-0.93, 0.26); buf = 0.9*(0.6, 0.8) + d = (-0.39, 0.98);
    //         theta = (0.7+0.195, -2.4-0.49) = (0.895, -2.89)
    const trace = run(new SgdOptimizer(0.9, 0.1), [1, -2], [[0.5, 1], [-1, 0.5]], 0.5);
    expect(trace[0]![0]).toBeCloseTo(0.7, 6);
    expect(trace[0]![1]).toBeCloseTo(-2.4, 6);
    expect(trace[1]![0]).toBeCloseTo(0.895, 6);
    expect(trace[1]![1]).toBeCloseTo(-2.89, 6);
  });

  it('without momentum or decay is plain gradient descent', () => {
    const trace = run(new SgdOptimizer(0, 0), [1], [[2], [2]], 0.25);
    expect(trace.map((t) => t[0])).toEqual([0.5, 0]);
  });
});

describe('AdamW', () => {
  it('matches hand-computed steps', () => {
    // theta0 = 1, g = 0.5 then -0.25, lr 0.1, wd 0.01, betas (0.9, 0.999), eps 1e-8.
    const lr = 0.1;
    let theta = 1;
    let m = 0;
    let v = 0;
    const expected: number[] = [];
    [0.5, -0.25].forEach((g, i) => {
      const t = i + 1;
      theta *= 1 - lr * 0.01;
      m = 0.9 * m + 0.1 * g;
      v = 0.999 * v + 0.001 * g * g;
      theta -= (lr * (m / (1 - 0.9 ** t))) / (Math.sqrt(v / (1 - 0.999 ** t)) + 1e-8);
      expected.push(theta);
    });
    const trace = run(new AdamWOptimizer(0.01), [1], [[0.5], [-0.25]], lr);
    expect(trace[0]![0]).toBeCloseTo(expected[0]!, 6);
    expect(trace[1]![0]).toBeCloseTo(expected[1]!, 6);
  });
});

describe('learning-rate schedules', () => {
  it('constant, multistep and cosine', () => {
    const base = { lr: 0.1, milestones: [2, 4], gamma: 0.1 };
    expect(makeSchedule({ ...base, schedule: 'constant' })(5, 0.9)).toBe(0.1);
    const multi = makeSchedule({ ...base, schedule: 'multistep' });
    expect([0, 1, 2, 3, 4, 5].map((e) => multi(e, 0))).toEqual([0.1, 0.1, 0.1 * 0.1, 0.1 * 0.1, 0.1 * 0.1 ** 2, 0.1 * 0.1 ** 2]);
    const cosine = makeSchedule({ ...base, schedule: 'cosine' });
    expect(cosine(0, 0)).toBeCloseTo(0.1, 12);
    expect(cosine(0, 0.5)).toBeCloseTo(0.05, 12);
    expect(cosine(0, 1)).toBeCloseTo(0, 12);
  });

  it('warm-up then cosine: linear up to the peak, half of it midway through the decay, zero at the end', () => {
    const schedule = warmupCosine(0.01, 4, 14);
    expect([0, 1, 2, 3].map(schedule)).toEqual([0.0025, 0.005, 0.0075, 0.01]);
    expect(schedule(4)).toBeCloseTo(0.01, 12);
    expect(schedule(9)).toBeCloseTo(0.005, 12);
    expect(schedule(14)).toBeCloseTo(0, 12);
  });
});
