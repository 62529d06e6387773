/** `lethe evaluate`: measures a checkpoint, and with a forget set runs the unlearning protocol. */
import type { EvaluationChecksInput } from '../../shared/evaluation.js';
import { EngineClient } from '../app/engine-client.js';
import { ensureWritableDir, resolveDataDir } from '../engine/data/data-dir.js';
import { defineCommand, followRun, numberOption, unfinished, UsageError, withService, type OptionSpecs, type Output, type Values } from './command.js';

const HELP = `Usage: lethe evaluate CHECKPOINT [--forget ID [--checks LIST]] [--json] [--data-dir DIR]

Loads a checkpoint (a folder, or a hash or unique hash prefix under
<data-dir>/checkpoints), verifies its content hash, and reports loss and accuracy
on the train, held-out and test parts of the split it was trained with.

With --forget ID (a forget set, see lethe forget list) it runs the field's
protocol and records an evaluate run in the catalog: UA, RA, TA (forgotten
classes left out of the test set), MIA-efficacy with the RBF-SVM attack on
the confidence feature (and correctness, entropy, m_entropy, prob), per-sample
scores as an artifact, and the stronger checks:
  relearn    steps of Adam fine-tuning on 256 forget samples until the other
             forget samples are back to 95% of the original's accuracy (budget 50)
  boundary   accuracy on the retain samples nearest the forget set
  pgd        forget accuracy under PGD (eps 8/255, 10 steps) toward the forgotten label
--checks relearn,boundary,pgd picks them (--checks none: protocol only).`;

const OPTIONS = {
  forget: { type: 'string' },
  checks: { type: 'string' },
} satisfies OptionSpecs;

type EvaluateValues = Values<typeof OPTIONS>;

const CHECK_NAMES = ['relearn', 'boundary', 'pgd'] as const;

function checksOption(values: EvaluateValues): EvaluationChecksInput | undefined {
  if (values.checks === undefined) return undefined;
  const chosen = values.checks === 'none' ? [] : values.checks.split(',').map((c) => c.trim());
  const unknown = chosen.find((c) => !(CHECK_NAMES as readonly string[]).includes(c));
  if (unknown !== undefined) throw new UsageError(`--checks takes ${CHECK_NAMES.join(', ')} or none, got '${unknown}'`);
  return Object.fromEntries(CHECK_NAMES.map((c) => [c, chosen.includes(c)]));
}

/** One line per protocol metric of an evaluate run. */
function describeAssessment(m: Record<string, number>): string[] {
  const pct = (key: string) => (m[key] === undefined ? '-' : `${m[key].toFixed(2)}%`);
  const lines = [
    `UA ${pct('UA')}  RA ${pct('RA')}  TA ${pct('TA')}  MIA-efficacy ${pct('MIA')} (confidence)`,
    `MIA by feature: correctness ${pct('MIA_correctness')}, entropy ${pct('MIA_entropy')}, m_entropy ${pct('MIA_m_entropy')}, prob ${pct('MIA_prob')}`,
  ];
  if (m.boundary_accuracy !== undefined) lines.push(`boundary accuracy ${pct('boundary_accuracy')}`);
  if (m.pgd_forget_accuracy !== undefined) lines.push(`forget accuracy under PGD ${pct('pgd_forget_accuracy')} (clean ${pct('pgd_clean_forget_accuracy')})`);
  if (m.relearn_steps !== undefined) lines.push(`relearning: ${m.relearn_recovered ? `recovered after ${m.relearn_steps} steps` : 'not recovered within the budget'}`);
  return lines;
}

async function handle(values: EvaluateValues, io: Output, [reference]: string[]): Promise<number> {
  if (!reference) throw new UsageError('name the checkpoint to evaluate (see lethe evaluate --help)');
  if (values.forget !== undefined) {
    const forgetSet = numberOption(values, 'forget');
    return withService(values, async (service) => {
      const run = await followRun(
        service,
        () => service.startEvaluation({ checkpoint: reference, forgetSet: forgetSet!, checks: checksOption(values) }),
        (event) => {
          if (event.type === 'run-notice') io.err(`note: ${event.message}`);
        },
        io,
      );
      const detail = await service.getRun(run.id);
      if (values.json) io.out(JSON.stringify(detail, null, 2));
      const failed = unfinished(run, io);
      if (failed !== undefined) return failed;
      if (!values.json) {
        io.out(describeAssessment(run.latestMetrics).join('\n'));
        for (const a of detail.artifacts) io.out(`${a.kind}: ${a.path}`);
      }
      return 0;
    });
  }
  if (values.checks !== undefined) throw new UsageError('--checks needs --forget ID');
  const dataDir = ensureWritableDir(resolveDataDir(values['data-dir']));
  const engine = new EngineClient();
  try {
    const result = await engine.submit({ kind: 'evaluate', checkpoint: reference, dataDir }, {
      onNotice: (message) => io.err(`note: ${message}`),
    }).result;
    if (values.json) {
      io.out(JSON.stringify(result, null, 2));
      return 0;
    }
    io.out(`checkpoint ${result.checkpoint.hash}\n  ${result.model} on ${result.dataset.name}, backend ${result.backend.name}`);
    for (const [part, e] of Object.entries(result.splits)) {
      io.out(`  ${part.padEnd(8)} accuracy ${(100 * e.accuracy).toFixed(2)}%  loss ${e.loss.toFixed(4)}  (${e.count} samples)`);
    }
    return 0;
  } finally {
    await engine.shutdown();
  }
}

export const evaluateCommand = defineCommand({
  name: 'evaluate',
  summary: 'measure a checkpoint; with --forget, UA, RA, TA, MIA and stronger checks',
  help: HELP,
  options: OPTIONS,
  positionals: 1,
  run: handle,
});
