import type { TrainConfig } from '../../../shared/train-config.js';

/** Learning rate at a point of training; `progress` is the fraction of all steps done. */
export type LearningRateSchedule = (epoch: number, progress: number) => number;

export function makeSchedule(config: Pick<TrainConfig, 'schedule' | 'lr' | 'milestones' | 'gamma'>): LearningRateSchedule {
  const { lr, milestones, gamma } = config;
  switch (config.schedule) {
    case 'constant':
      return () => lr;
    case 'multistep':
      // PyTorch MultiStepLR: from epoch m on (for each milestone m), the rate is multiplied by gamma.
      return (epoch) => lr * gamma ** milestones.filter((m) => epoch >= m).length;
    case 'cosine':
      // Cosine annealing to zero over all steps.
      return (_epoch, progress) => 0.5 * lr * (1 + Math.cos(Math.PI * progress));
  }
}

/**
 * Linear warm-up over the first `warmupSteps` steps (from lr / warmupSteps to lr), then
 * cosine annealing to zero at `totalSteps` (the GPT recipe); `step` counts from 0.
 */
export function warmupCosine(lr: number, warmupSteps: number, totalSteps: number): (step: number) => number {
  return (step) => {
    if (step < warmupSteps) return (lr * (step + 1)) / warmupSteps;
    const progress = (step - warmupSteps) / Math.max(1, totalSteps - warmupSteps);
    return 0.5 * lr * (1 + Math.cos(Math.PI * Math.min(1, progress)));
  };
}
