import { describe, expect, it } from 'vitest';
import { formatDuration } from '../src/shared/format.js';

describe('formatDuration', () => {
  it.each([
    [0.34, '0.3s'],
    [0, '0.0s'],
    [9.94, '9.9s'],
    [9.96, '10s'],
    [59.4, '59s'],
    [61, '1m01s'],
    [3725, '1h02m'],
    [NaN, '--'],
  ])('%d s reads %s', (seconds, text) => {
    expect(formatDuration(seconds)).toBe(text);
  });
});
