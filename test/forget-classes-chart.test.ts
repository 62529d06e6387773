/** The forget-set preview's per-class chart: train split and forget set side by side, per class. */
import { describe, expect, it } from 'vitest';
import { forgetClassesOption } from '../src/shared/charts/forget-classes.js';

describe('forget set per class chart', () => {
  it('draws the train split and the forget set per class, with the share forgotten', () => {
    const option = forgetClassesOption({ classNames: ['cat', 'dog', 'owl'], trainClassCounts: [40, 50, 0], forgetClassCounts: [10, 0, 0], size: 10 }) as {
      xAxis: { data: string[] };
      title: { subtext: string };
      series: { name: string; data: (number | { value: number; share: number })[] }[];
    };
    expect(option.xAxis.data).toEqual(['cat', 'dog', 'owl']);
    expect(option.title.subtext).toBe('10 samples against the train split');
    expect(option.series.map((s) => s.name)).toEqual(['train split', 'forget set']);
    expect(option.series[0]!.data).toEqual([40, 50, 0]);
    expect(option.series[1]!.data).toEqual([
      { value: 10, share: 25 },
      { value: 0, share: 0 },
      { value: 0, share: 0 },
    ]);
  });
});
