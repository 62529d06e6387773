/**
 * The facts dataset in the data directory, like the image datasets' cache: generated on
 * first use, written atomically as JSON with its content digest, and verified when read;
 * a file that fails the check is reported and regenerated, never used.
 */
import { createHash } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { writeFileAtomic } from '../atomic-file.js';
import { DEFAULT_FACTS_OPTIONS, factsDigest, generateFacts, type FactsDataset, type FactsOptions } from './facts-dataset.js';

const FORMAT = 'lethe-facts';
const VERSION = 1;

/** `datasets/facts-s<seed>-<people>p-<options hash>.json`: one file per distinct set of options. */
export function factsCachePath(dataDir: string, options: FactsOptions): string {
  const optionsHash = createHash('sha256').update(JSON.stringify(options)).digest('hex').slice(0, 8);
  return path.join(dataDir, 'datasets', `facts-s${options.seed}-${options.people}p-${optionsHash}.json`);
}

function readFactsCache(file: string, options: FactsOptions): FactsDataset {
  const stored = JSON.parse(fs.readFileSync(file, 'utf8')) as { format?: string; version?: number; dataset?: FactsDataset };
  if (stored.format !== FORMAT || stored.version !== VERSION || !stored.dataset) throw new Error(`not a ${FORMAT} v${VERSION} file`);
  const { digest, ...content } = stored.dataset;
  if (factsDigest(content) !== digest) throw new Error('content digest does not match');
  if (JSON.stringify(content.options) !== JSON.stringify(options)) throw new Error('generated with other options');
  return stored.dataset;
}

/** The stored dataset for these options, or undefined when there is none (a corrupt file is reported and ignored). */
export function readStoredFacts(dataDir: string, options: FactsOptions, notice: (message: string) => void = () => {}): FactsDataset | undefined {
  const file = factsCachePath(dataDir, options);
  if (!fs.existsSync(file)) return undefined;
  try {
    return readFactsCache(file, options);
  } catch (error) {
    notice(`facts dataset ${file} is corrupt (${(error as Error).message}); regenerating it`);
    return undefined;
  }
}

export function storeFacts(dataDir: string, dataset: FactsDataset): void {
  writeFileAtomic(factsCachePath(dataDir, dataset.options), [Buffer.from(JSON.stringify({ format: FORMAT, version: VERSION, dataset }), 'utf8')]);
}

export function factsOptions(options: Partial<FactsOptions> = {}): FactsOptions {
  return { ...DEFAULT_FACTS_OPTIONS, ...options };
}

export function loadFactsDataset(dataDir: string, options: Partial<FactsOptions> = {}, notice: (message: string) => void = () => {}): FactsDataset {
  const full = factsOptions(options);
  const stored = readStoredFacts(dataDir, full, notice);
  if (stored) return stored;
  const dataset = generateFacts(full);
  storeFacts(dataDir, dataset);
  return dataset;
}
