import type { TrainProgress } from '../../shared/train-config.js';

export function formatDuration(seconds: number): string {
  if (!Number.isFinite(seconds)) return '--';
  const s = Math.max(0, Math.round(seconds));
  const h = Math.floor(s / 3600);
  const m = Math.floor((s % 3600) / 60);
  const rest = s % 60;
  if (h > 0) return `${h}h${String(m).padStart(2, '0')}m`;
  if (m > 0) return `${m}m${String(rest).padStart(2, '0')}s`;
  return `${rest}s`;
}

/** One line: bar over all steps of the run, then epoch, step, loss, throughput and ETA. */
export function formatProgress(p: TrainProgress, barWidth = 24): string {
  const done = p.epoch * p.stepsPerEpoch + p.step;
  const total = p.epochs * p.stepsPerEpoch;
  const filled = Math.min(barWidth, Math.round((done / total) * barWidth));
  const bar = '='.repeat(filled) + (filled < barWidth ? '>' : '') + ' '.repeat(Math.max(0, barWidth - filled - 1));
  return (
    `[${bar}] epoch ${p.epoch + 1}/${p.epochs} step ${p.step}/${p.stepsPerEpoch} ` +
    `loss ${p.loss.toFixed(4)} ${Math.round(p.samplesPerSecond)} samples/s ETA ${formatDuration(p.etaSeconds)}`
  );
}
