/** `lethe unlearn`: unlearns a forget set from a checkpoint and follows the run. */
import { formatDuration } from '../../shared/format.js';
import type { UnlearnConfigInput, UnlearnStep } from '../../shared/unlearn-config.js';
import { AGGREGATORS } from '../engine/moo/registry.js';
import { METHOD_INFO, SEQUENCE_METHOD_INFO } from '../engine/unlearn/method-info.js';
import { defineCommand, followRun, numberOption, unfinished, UsageError, withService, type OptionSpecs, type Output, type Values } from './command.js';

const HELP = `Usage: lethe unlearn --from CHECKPOINT --forget ID --method NAME [options]

Unlearns a forget set (lethe forget list) from a trained checkpoint (a hash, a unique
hash prefix, or a folder holding a catalogued checkpoint; its content is verified
against its hash before anything is recorded, and the run records the hash), records the run
with its objectives, per-step losses, aggregator weights and gradient cosines, and
saves the result as a new checkpoint. Methods (${Object.keys(METHOD_INFO).join(', ')}):
${Object.entries(METHOD_INFO).map(([n, m]) => `  ${n.padEnd(8)} ${m.description}`).join('\n')}
Language models have their own (lethe unlearn-lm): ${Object.keys(SEQUENCE_METHOD_INFO).join(', ')}.

Options:
  --aggregator NAME     multi-objective methods: ${Object.keys(AGGREGATORS).join(', ')}
                        (default upgrad)
  --weights A,B         preference / linear-scalarisation weights, one per objective
  --reference R         raul: uniform (UniDist, default) or heldout (HeldDist)
  --frozen-reference    raul heldout: reference from the original model, not the current
  --lr X --epochs N     default: the method's (raul: 5e-3, 5 epochs)
  --batch-size N        default 256
  --optimizer NAME      sgd (momentum 0.9, weight decay 5e-4) or adamw
  --seed N              batches, random labels, PCGrad order (default 1)
  --precision NAME      fp32 | bf16: bf16 convolutions and matrix products with fp32
                        master weights (native kernels, a CPU with AVX512-BF16 or AMX;
                        default fp32)
  --alpha X             neggrad+ a (0.9999), l1-sparse alpha (1e-4), iu alpha (0.2),
                        scrub KL weight (0.001)
  --mask-ratio R        salun: share of weights that may move (0.5)
  --temperature T --gamma G --max-steps N --forget-batch-size N
                        scrub (4, 0.99, 2, 512)
  --fisher-samples N    iu: retain samples in the WoodFisher estimate (1000)
  --boundary B          bld: nearest (retain samples nearest the forget set, default)
                        or confused (the two classes most confused with it)

Example:
  lethe unlearn --from 2aa84e7d --forget 1 --method raul --reference uniform \\
    --aggregator upgrad --lr 5e-3 --epochs 5 --seed 1`;

const OPTIONS = {
  from: { type: 'string' },
  forget: { type: 'string' },
  method: { type: 'string' },
  aggregator: { type: 'string' },
  weights: { type: 'string' },
  reference: { type: 'string' },
  'frozen-reference': { type: 'boolean' },
  optimizer: { type: 'string' },
  lr: { type: 'string' },
  momentum: { type: 'string' },
  'weight-decay': { type: 'string' },
  epochs: { type: 'string' },
  'batch-size': { type: 'string' },
  seed: { type: 'string' },
  alpha: { type: 'string' },
  'mask-ratio': { type: 'string' },
  temperature: { type: 'string' },
  gamma: { type: 'string' },
  'max-steps': { type: 'string' },
  'forget-batch-size': { type: 'string' },
  'fisher-samples': { type: 'string' },
  boundary: { type: 'string' },
  precision: { type: 'string' },
} satisfies OptionSpecs;

type UnlearnValues = Values<typeof OPTIONS>;

async function handle(values: UnlearnValues, io: Output): Promise<number> {
  if (!values.from) throw new UsageError('--from CHECKPOINT is required (see lethe unlearn --help)');
  if (values.forget === undefined) throw new UsageError('--forget ID is required (see lethe forget list)');
  if (!values.method) throw new UsageError('--method is required (see lethe unlearn --help)');
  const weights = values.weights?.split(',').map((w) => {
    const n = Number(w);
    if (w.trim() === '' || !Number.isFinite(n)) throw new UsageError(`--weights must be comma-separated numbers, got '${values.weights}'`);
    return n;
  });
  const input = Object.fromEntries(
    Object.entries({
      checkpoint: values.from,
      forgetSet: numberOption(values, 'forget'),
      method: values.method,
      aggregator: values.aggregator,
      weights,
      reference: values.reference,
      frozenReference: values['frozen-reference'],
      optimizer: values.optimizer,
      lr: numberOption(values, 'lr'),
      momentum: numberOption(values, 'momentum'),
      weightDecay: numberOption(values, 'weight-decay'),
      epochs: numberOption(values, 'epochs'),
      batchSize: numberOption(values, 'batch-size'),
      seed: numberOption(values, 'seed'),
      alpha: numberOption(values, 'alpha'),
      maskRatio: numberOption(values, 'mask-ratio'),
      temperature: numberOption(values, 'temperature'),
      gamma: numberOption(values, 'gamma'),
      maxSteps: numberOption(values, 'max-steps'),
      forgetBatchSize: numberOption(values, 'forget-batch-size'),
      fisherSamples: numberOption(values, 'fisher-samples'),
      boundary: values.boundary,
      precision: values.precision,
    }).filter(([, v]) => v !== undefined),
  );
  const quiet = values.json === true;
  return withService(values, async (service) => {
    let last: UnlearnStep | undefined;
    const showEpoch = () => {
      if (!last || quiet) return;
      const step = last;
      const parts = step.losses.map((l, i) => `loss${step.losses.length > 1 ? i + 1 : ''} ${l.toFixed(4)}`);
      if (step.weights.length > 1) parts.push(`weights ${step.weights.map((w) => w.toFixed(3)).join('/')}`);
      if (step.cosines.length === 1) parts.push(`cos ${step.cosines[0]!.toFixed(3)}`);
      io.err(`epoch ${step.epoch + 1} (step ${step.step + 1}): ${parts.join(', ')}`);
    };
    const run = await followRun(
      service,
      () => service.startUnlearning(input as UnlearnConfigInput),
      (event) => {
        if (event.type === 'run-notice') io.err(`note: ${event.message}`);
        if (event.type !== 'unlearn-step') return;
        if (last && event.step.epoch !== last.epoch) showEpoch();
        last = event.step;
      },
      io,
    );
    showEpoch();
    const detail = await service.getRun(run.id);
    if (quiet) io.out(JSON.stringify(detail, null, 2));
    const failed = unfinished(run, io);
    if (failed !== undefined) return failed;
    if (!quiet) {
      const m = run.latestMetrics;
      const pct = (v: number | undefined) => (v === undefined ? '-' : `${(100 * v).toFixed(2)}%`);
      io.err(
        `forget accuracy ${pct(m.original_forget_accuracy)} -> ${pct(m.forget_accuracy)} (UA ${pct(m.unlearning_accuracy)}), ` +
          `retain ${pct(m.original_retain_accuracy)} -> ${pct(m.retain_accuracy)}, test ${pct(m.original_test_accuracy)} -> ${pct(m.test_accuracy)}, ` +
          `run time ${formatDuration(m.run_seconds ?? NaN)}`,
      );
      const checkpoint = detail.checkpoints[0]!;
      io.out(`checkpoint ${checkpoint.hash} (${checkpoint.role})\n  ${checkpoint.path}`);
    }
    return 0;
  });
}

export const unlearnCommand = defineCommand({
  name: 'unlearn',
  summary: 'unlearn a forget set from a checkpoint with a method and aggregator',
  help: HELP,
  options: OPTIONS,
  positionals: 0,
  run: handle,
});
