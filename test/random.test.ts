import { describe, expect, it } from 'vitest';
import { Random } from '../src/main/engine/random.js';

describe('Random', () => {
  it('repeats its stream for the same seed and purpose and differs otherwise', () => {
    const a = Array.from({ length: 5 }, ((r) => () => r.next())(new Random(7, 'x')));
    const b = Array.from({ length: 5 }, ((r) => () => r.next())(new Random(7, 'x')));
    const c = Array.from({ length: 5 }, ((r) => () => r.next())(new Random(7, 'y')));
    const d = Array.from({ length: 5 }, ((r) => () => r.next())(new Random(8, 'x')));
    expect(a).toEqual(b);
    expect(a).not.toEqual(c);
    expect(a).not.toEqual(d);
    for (const v of a) expect(v >= 0 && v < 1).toBe(true);
  });

  it('draws normals with mean 0 and variance 1', () => {
    const r = new Random(3);
    const n = 200_000;
    let sum = 0;
    let sumSq = 0;
    for (let i = 0; i < n; i++) {
      const v = r.normal();
      sum += v;
      sumSq += v * v;
    }
    expect(Math.abs(sum / n)).toBeLessThan(0.01);
    expect(Math.abs(sumSq / n - 1)).toBeLessThan(0.01);
  });

  it('makes permutations', () => {
    const p = new Random(1).permutation(1000);
    expect([...p].sort((x, y) => x - y)).toEqual(Array.from({ length: 1000 }, (_, i) => i));
    expect([...p]).not.toEqual(Array.from({ length: 1000 }, (_, i) => i));
  });

  it('refuses a non-integer seed', () => {
    expect(() => new Random(1.5)).toThrow(/seed must be an integer/);
  });
});
