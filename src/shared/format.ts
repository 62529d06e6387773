/** Human-readable durations, shared by the CLI and the window. */
export function formatDuration(seconds: number): string {
  if (!Number.isFinite(seconds)) return '--';
  // Under ten seconds a tenth is shown: a sub-second unlearning run is not 'in 0s'.
  if (seconds < 9.95) return `${Math.max(0, seconds).toFixed(1)}s`;
  const s = Math.round(seconds);
  const h = Math.floor(s / 3600);
  const m = Math.floor((s % 3600) / 60);
  const rest = s % 60;
  if (h > 0) return `${h}h${String(m).padStart(2, '0')}m`;
  if (m > 0) return `${m}m${String(rest).padStart(2, '0')}s`;
  return `${rest}s`;
}

/** Overall completion of a run's progress, in [0, 1]. */
export function progressFraction(p: { epoch: number; epochs: number; step: number; stepsPerEpoch: number }): number {
  return Math.min(1, (p.epoch * p.stepsPerEpoch + p.step) / (p.epochs * p.stepsPerEpoch));
}
