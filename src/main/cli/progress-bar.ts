import { formatDuration, progressFraction } from '../../shared/format.js';
import type { TrainProgress } from '../../shared/train-config.js';

/** One line: bar over all steps of the run, then epoch, step, loss, throughput and ETA. */
export function formatProgress(p: TrainProgress, barWidth = 24): string {
  const filled = Math.round(progressFraction(p) * barWidth);
  const bar = '='.repeat(filled) + (filled < barWidth ? '>' : '') + ' '.repeat(Math.max(0, barWidth - filled - 1));
  return (
    `[${bar}] epoch ${p.epoch + 1}/${p.epochs} step ${p.step}/${p.stepsPerEpoch} ` +
    `loss ${p.loss.toFixed(4)} ${Math.round(p.samplesPerSecond)} samples/s ETA ${formatDuration(p.etaSeconds)}`
  );
}
