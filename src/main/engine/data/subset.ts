/**
 * A per-class subset of a dataset (`lethe import --subset-of`): `perClass` samples of every
 * class, drawn with the seed, kept in the source's order. The subset has no own test set
 * (the seeded split draws one from it, as for the built-in datasets).
 */
import { Random } from '../random.js';
import { sampleSize, type ImageDataset } from './dataset.js';
import { ImportError, type ImportedData } from './importers/imported-data.js';

export function subsetOfDataset(source: ImageDataset, perClass: number, seed: number): ImportedData {
  const byClass: number[][] = source.classNames.map(() => []);
  for (let i = 0; i < source.count; i++) byClass[source.labels[i]!]!.push(i);
  const short = byClass.map((members, c) => ({ c, n: members.length })).filter(({ n }) => n < perClass);
  if (short.length) {
    const named = short.map(({ c, n }) => `${c} '${source.classNames[c]}' has ${n}`).join(', ');
    throw new ImportError(`${source.name}: cannot draw ${perClass} samples of every class: class ${named}`);
  }
  const random = new Random(seed, 'subset');
  const chosen = Int32Array.from(byClass.flatMap((members) => random.shuffle(members).slice(0, perClass))).sort();
  const size = sampleSize(source);
  const pixels = source.dtype === 'uint8' ? new Uint8Array(chosen.length * size) : new Float32Array(chosen.length * size);
  const labels = new Uint8Array(chosen.length);
  chosen.forEach((from, to) => {
    pixels.set(source.pixels.subarray(from * size, (from + 1) * size), to * size);
    labels[to] = source.labels[from]!;
  });
  return { height: source.height, width: source.width, channels: source.channels, classNames: source.classNames, dtype: source.dtype, pixels, labels, testCount: 0 };
}
