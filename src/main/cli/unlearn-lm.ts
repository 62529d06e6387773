/** `lethe unlearn-lm`: unlearns a forget split from a language-model checkpoint with a sequence method. */
import { formatDuration } from '../../shared/format.js';
import { SEQUENCE_METHOD_NAMES, type LmUnlearnConfigInput } from '../../shared/lm-unlearn-config.js';
import { SEQUENCE_METHOD_INFO } from '../engine/unlearn/method-info.js';
import { defineCommand, followRun, numberOption, unfinished, UsageError, withService, type OptionSpecs, type Output, type Values } from './command.js';

const HELP = `Usage: lethe unlearn-lm --from CHECKPOINT --method NAME [options]

Unlearns the facts of a forget split's people from a language-model checkpoint
(see lethe train-lm), on answer tokens only, records the run and writes the new
checkpoint (role unlearned); measure it with lethe eval-lm against the split's
Retrain. Objectives per method are in docs/lm-unlearning.md.

Required:
  --from CHECKPOINT     the original (a folder, hash or unique hash prefix)
  --method NAME         one of:
${Object.entries(SEQUENCE_METHOD_INFO).map(([n, m]) => `    ${n.padEnd(14)} ${m.description}`).join('\n')}

Options:
  --split NAME          forget01 | forget05 | forget10 (default forget05)
  --aggregator NAME     how the objectives combine (default upgrad; see lethe unlearn --help)
  --steps N             unlearning steps (default 50)
  --batch-size N        forget and retain pairs per step (default 16)
  --lr X                AdamW learning rate (default 1e-4)
  --beta X              NPO's beta (default 0.1)
  --seed N              batch order and aggregator seed (default 0)

Example:
  lethe unlearn-lm --from 3f2a9c --method npo --split forget05`;

const OPTIONS = {
  from: { type: 'string' },
  method: { type: 'string' },
  split: { type: 'string' },
  aggregator: { type: 'string' },
  steps: { type: 'string' },
  'batch-size': { type: 'string' },
  lr: { type: 'string' },
  beta: { type: 'string' },
  seed: { type: 'string' },
} satisfies OptionSpecs;

type UnlearnLmValues = Values<typeof OPTIONS>;

async function handle(values: UnlearnLmValues, io: Output): Promise<number> {
  if (!values.from) throw new UsageError('--from is required: the checkpoint to unlearn from (see lethe unlearn-lm --help)');
  if (!values.method) throw new UsageError(`--method is required: ${SEQUENCE_METHOD_NAMES.join(', ')}`);
  const input: Record<string, unknown> = {
    checkpoint: values.from,
    method: values.method,
    split: values.split,
    aggregator: values.aggregator,
    steps: numberOption(values, 'steps'),
    batchSize: numberOption(values, 'batch-size'),
    lr: numberOption(values, 'lr'),
    beta: numberOption(values, 'beta'),
    seed: numberOption(values, 'seed'),
  };
  const config = Object.fromEntries(Object.entries(input).filter(([, v]) => v !== undefined)) as LmUnlearnConfigInput;
  return withService(values, async (service) => {
    const run = await followRun(service, () => service.startLanguageModelUnlearning(config), (event) => event.type === 'run-notice' && io.err(`note: ${event.message}`), io);
    const detail = await service.getRun(run.id);
    if (values.json) io.out(JSON.stringify(detail, null, 2));
    const failed = unfinished(run, io);
    if (failed !== undefined) return failed;
    if (!values.json) {
      const checkpoint = detail.checkpoints[0]!;
      io.err(`${run.method} (${run.aggregator}) done in ${formatDuration(run.durationSeconds ?? NaN)}`);
      io.out(`checkpoint ${checkpoint.hash}\n  ${checkpoint.path}`);
    }
    return 0;
  });
}

export const unlearnLmCommand = defineCommand({
  name: 'unlearn-lm',
  summary: 'unlearn a forget split from a language-model checkpoint',
  help: HELP,
  options: OPTIONS,
  positionals: 0,
  run: handle,
});
