/** `lethe datasets`: lists the built-in datasets and whether they are cached. */
import { BUILTIN_DATASETS, datasetCachePath } from '../engine/data/builtin-datasets.js';
import { readDatasetCache } from '../engine/data/dataset-cache.js';
import { resolveDataDir } from '../engine/data/data-dir.js';
import { defineCommand, type OptionSpecs, type Output, type Values } from './command.js';

const HELP = `Usage: lethe datasets [--json] [--data-dir DIR]

Lists the built-in datasets (shipped in npm packages, converted to a binary cache
on first use) with their size and content digest once cached.`;

const OPTIONS = {} satisfies OptionSpecs;

type DatasetsValues = Values<typeof OPTIONS>;

function handle(values: DatasetsValues, io: Output): number {
  const dataDir = resolveDataDir(values['data-dir']);
  const rows = BUILTIN_DATASETS.map((spec) => {
    const file = datasetCachePath(dataDir, spec.name);
    let cached: { samples: number; digest: string; shape: number[] } | { error: string } | null = null;
    try {
      const d = readDatasetCache(file);
      cached = { samples: d.count, digest: d.digest, shape: [d.height, d.width, d.channels] };
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'ENOENT') cached = { error: (error as Error).message };
    }
    return { name: spec.name, description: spec.description, classes: spec.classNames, cache: file, cached };
  });
  if (values.json) {
    io.out(JSON.stringify(rows, null, 2));
    return 0;
  }
  for (const row of rows) {
    io.out(`${row.name}\n  ${row.description}`);
    if (row.cached === null) io.out(`  not cached yet (converted on first use into ${row.cache})`);
    else if ('error' in row.cached) io.out(`  cache unusable, will be rebuilt: ${row.cached.error}`);
    else io.out(`  cached: ${row.cached.samples} samples ${row.cached.shape.join('x')}, digest ${row.cached.digest.slice(0, 16)}`);
  }
  return 0;
}

export const datasetsCommand = defineCommand({
  name: 'datasets',
  summary: 'list the built-in datasets and whether they are cached',
  help: HELP,
  options: OPTIONS,
  positionals: 0,
  run: handle,
});
