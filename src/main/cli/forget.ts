/** `lethe forget`: makes a forget set by rule or from a file, or lists them. */
import path from 'node:path';
import { defineCommand, numberOption, UsageError, withService, type OptionSpecs, type Output, type Values } from './command.js';

const HELP = `Usage: lethe forget --dataset D (--random P% | --classes A,B [--random P%] | --file F) [options]
       lethe forget list [--json]

Makes a forget set over the dataset's train split and records it in the catalog:
  --random 10%          a seeded random share of the train samples (for one seed,
                        the 10% set is a prefix of the 50% set)
  --classes 3,5         whole classes (by index)
  --classes 3 --random 20%   a random share within those classes
  --file F              an index list (.csv with --column NAME, .json, .txt), or
                        PNG/JPEG images or a folder of them, matched to samples by
                        their pixels
  --seed N              seed of the random draw (default 0)
  --split-seed N        the split whose train part is used (default 0)
  --name NAME           a name to show (default: the rule)`;

const OPTIONS = {
  dataset: { type: 'string' },
  seed: { type: 'string' },
  'split-seed': { type: 'string' },
  random: { type: 'string' },
  classes: { type: 'string' },
  file: { type: 'string' },
  column: { type: 'string' },
  name: { type: 'string' },
} satisfies OptionSpecs;

type ForgetValues = Values<typeof OPTIONS>;

function parsePercent(raw: string): number {
  const value = Number(raw.replace(/%$/, ''));
  if (raw.trim() === '' || !Number.isFinite(value)) throw new UsageError(`--random must be a percentage like 10%, got '${raw}'`);
  return value;
}

async function handle(values: ForgetValues, io: Output, [action]: string[]): Promise<number> {
  return withService(values, async (service) => {
    if (action === 'list') {
      const sets = await service.listForgetSets();
      if (values.json) io.out(JSON.stringify(sets, null, 2));
      else if (sets.length === 0) io.out('no forget sets yet (make one with lethe forget --dataset D --random 10%)');
      else for (const f of sets) io.out(`${String(f.id).padStart(4)}  ${f.name}  ${f.size} samples  digest ${f.digest.slice(0, 12)}`);
      return 0;
    }
    if (action !== undefined) throw new UsageError(`unknown forget action '${action}' (use list, or options to make one)`);
    if (!values.dataset) throw new UsageError('--dataset is required (see lethe forget --help)');
    const seed = numberOption(values, 'seed') ?? 0;
    const classes = values.classes?.split(',').map((c) => {
      const n = Number(c);
      if (c.trim() === '' || !Number.isInteger(n)) throw new UsageError(`--classes must be comma-separated class indices, got '${values.classes}'`);
      return n;
    });
    const given = [values.random !== undefined || classes !== undefined, values.file !== undefined].filter(Boolean).length;
    if (given !== 1) throw new UsageError('give either --random and/or --classes, or --file');
    const rule =
      values.file !== undefined
        ? { kind: 'file' as const, paths: [path.resolve(values.file)], column: values.column }
        : classes === undefined
          ? { kind: 'random' as const, percent: parsePercent(values.random!), seed }
          : values.random === undefined
            ? { kind: 'classes' as const, classes }
            : { kind: 'random-in-classes' as const, percent: parsePercent(values.random), classes, seed };
    const outcome = await service.createForgetSet({ dataset: values.dataset, rule, name: values.name, splitSeed: numberOption(values, 'split-seed') });
    if (values.json) {
      io.out(JSON.stringify(outcome, null, 2));
      return 0;
    }
    for (const w of outcome.warnings) io.err(`warning: ${w}`);
    const r = outcome.report;
    if (r) {
      io.err(`matched ${r.matched.length} image(s); unmatched ${r.unmatched.length}; duplicate files ${r.duplicateFiles.length}; images equal to several samples ${r.ambiguous.length}`);
      for (const f of r.unmatched) io.err(`  unmatched: ${f}`);
      for (const d of r.duplicateFiles) io.err(`  duplicate: ${d.file} = ${d.sameAs}`);
    }
    const f = outcome.forgetSet;
    io.out(`forget set ${f.id} '${f.name}': ${f.size} samples forgotten, ${outcome.retainSize} retained, digest ${f.digest.slice(0, 16)}\n  ${f.path}`);
    return 0;
  });
}

export const forgetCommand = defineCommand({
  name: 'forget',
  summary: 'make a forget set by rule or from a file, or list them',
  help: HELP,
  options: OPTIONS,
  positionals: 1,
  run: handle,
});
