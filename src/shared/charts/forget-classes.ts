/**
 * ECharts option for a forget set's classes: per class, how many train samples it
 * forgets against how many the train split holds, so a skewed set shows at a glance.
 */
import type { ForgetSetPreview } from '../forget-set.js';

export function forgetClassesOption(preview: Pick<ForgetSetPreview, 'classNames' | 'trainClassCounts' | 'forgetClassCounts' | 'size'>): Record<string, unknown> {
  const share = (forget: number, train: number) => (train > 0 ? (100 * forget) / train : 0);
  return {
    animation: false,
    title: { text: 'Forget set per class', subtext: `${preview.size} samples against the train split`, left: 'center', textStyle: { fontSize: 13 }, subtextStyle: { fontSize: 11 } },
    tooltip: { trigger: 'axis', axisPointer: { type: 'shadow' } },
    legend: { bottom: 0, itemWidth: 14 },
    grid: { left: 56, right: 12, top: 60, bottom: 56 },
    xAxis: { type: 'category', data: preview.classNames, axisLabel: { hideOverlap: true } },
    yAxis: { type: 'value', name: 'samples', nameLocation: 'middle', nameGap: 40 },
    series: [
      { name: 'train split', type: 'bar', color: '#b8c4d4', data: preview.trainClassCounts },
      {
        name: 'forget set',
        type: 'bar',
        color: '#c0392b',
        data: preview.forgetClassCounts.map((count, c) => ({ value: count, share: share(count, preview.trainClassCounts[c]!) })),
      },
    ],
  };
}
