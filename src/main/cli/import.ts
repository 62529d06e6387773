/** `lethe import`: imports a dataset into the data directory and the catalog. */
import path from 'node:path';
import type { ImportFormat, SubsetRequestInput } from '../../shared/import.js';
import { defineCommand, UsageError, withService, type OptionSpecs, type Output, type Values } from './command.js';

const HELP = `Usage: lethe import PATH... [--format F] [--name NAME] [options]
       lethe import --subset-of DATASET --per-class N [--seed S] --name NAME

Imports a dataset into <data-dir>/datasets and the catalog, with a content digest;
importing the same content again is detected and writes nothing. The format is
guessed from the names; --format forces one of:
  idx           MNIST-style IDX files, plain or .gz (train-images/labels, and
                t10k-images/labels, which become the dataset's own test set)
  cifar         CIFAR-10 data_batch_*.bin + test_batch.bin, or CIFAR-100
                train.bin + test.bin (--cifar-labels fine|coarse, default fine)
  csv           one CSV file: a header, a label column (--label-column NAME,
                default 'label', else the last column) and numeric features
  image-folder  a folder with one subfolder of PNG/JPEG images per class; images
                of another size are refused unless --resize (to the first image's
                size, or --size HEIGHTxWIDTH)


--subset-of makes a dataset from one Lethe already has (built-in or imported): N
samples of every class drawn with the seed (default 0), in the source's order, with
no own test set (the split draws one, as for the built-in datasets). A smaller
training set is one a model can memorise in minutes on a CPU.

Examples:
  lethe import ~/data/cifar-10-batches-bin --name cifar10
  lethe import --subset-of fashion-mnist --per-class 2000 --name fashion-mnist-20k`;

const OPTIONS = {
  format: { type: 'string' },
  name: { type: 'string' },
  'label-column': { type: 'string' },
  'cifar-labels': { type: 'string' },
  resize: { type: 'boolean' },
  size: { type: 'string' },
  'subset-of': { type: 'string' },
  'per-class': { type: 'string' },
  seed: { type: 'string' },
} satisfies OptionSpecs;

type ImportValues = Values<typeof OPTIONS>;

/** A whole number from a flag, else a usage error naming the flag. */
function wholeNumber(flag: string, text: string | undefined): number | undefined {
  if (text === undefined) return undefined;
  const n = Number(text);
  if (!Number.isInteger(n) || text.trim() === '') throw new UsageError(`--${flag} must be a whole number, got '${text}'`);
  return n;
}

function subsetRequest(values: ImportValues, paths: string[]): SubsetRequestInput {
  if (paths.length > 0) throw new UsageError('--subset-of draws from a dataset Lethe has; give no files with it');
  const given = (['format', 'label-column', 'cifar-labels', 'resize', 'size'] as const).filter((flag) => values[flag] !== undefined);
  if (given.length) throw new UsageError(`--${given[0]} is for importing files, not with --subset-of`);
  if (values['per-class'] === undefined) throw new UsageError('--subset-of needs --per-class N');
  if (values.name === undefined) throw new UsageError('--subset-of needs --name for the new dataset');
  return { subsetOf: values['subset-of']!, perClass: wholeNumber('per-class', values['per-class'])!, seed: wholeNumber('seed', values.seed), name: values.name };
}

async function handle(values: ImportValues, io: Output, paths: string[]): Promise<number> {
  const subset = values['subset-of'] !== undefined ? subsetRequest(values, paths) : undefined;
  if (!subset) {
    if (values['per-class'] !== undefined || values.seed !== undefined) throw new UsageError('--per-class and --seed go with --subset-of');
    if (paths.length === 0) throw new UsageError('name the files or folder to import, or a dataset with --subset-of (see lethe import --help)');
  }
  const size = values.size?.split('x').map(Number);
  if (values.size !== undefined && (size?.length !== 2 || size.some((n) => !Number.isInteger(n) || n <= 0))) {
    throw new UsageError(`--size must be HEIGHTxWIDTH, got '${values.size}'`);
  }
  return withService(values, async (service) => {
    let lastLine = '';
    service.subscribe((event) => {
      if (event.type !== 'task-progress' || values.json || !io.isTTY) return;
      const p = event.progress;
      lastLine = `${p.phase}: ${p.done}/${p.total}`;
      process.stderr.write('\r' + lastLine.padEnd(60));
    });
    const outcome = await service.importDataset(subset ?? {
      paths: paths.map((p) => path.resolve(p)),
      format: values.format as ImportFormat | undefined,
      name: values.name,
      labelColumn: values['label-column'],
      cifarLabels: values['cifar-labels'] as 'fine' | 'coarse' | undefined,
      resize: values.resize,
      size: size as [number, number] | undefined,
    });
    if (lastLine) process.stderr.write('\r' + ' '.repeat(60) + '\r');
    if (values.json) {
      io.out(JSON.stringify(outcome, null, 2));
      return 0;
    }
    const d = outcome.dataset;
    io.out(
      outcome.alreadyImported
        ? `already imported as '${d.name}' (same content, digest ${d.digest.slice(0, 16)}); nothing new written`
        : `imported '${d.name}' (${outcome.format}): ${d.sampleCount} samples ${d.shape.join('x')}, ${d.classNames.length} classes, ` +
            `${outcome.testCount ? `${outcome.testCount} of them its own test set, ` : ''}digest ${d.digest.slice(0, 16)}, ${outcome.seconds.toFixed(1)} s`,
    );
    return 0;
  });
}

export const importCommand = defineCommand({
  name: 'import',
  summary: 'import a dataset (IDX, CIFAR binary, CSV, image folder), or a subset of one',
  help: HELP,
  options: OPTIONS,
  positionals: 1000,
  run: handle,
});
