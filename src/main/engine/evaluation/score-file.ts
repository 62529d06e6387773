/**
 * Per-sample scores of one evaluation, kept for histograms (MIA, confidence, loss):
 * for each group (forget, retain, test, held-out) the sample indices, labels and the
 * score columns. Binary, written atomically: "LETHESC1", a little-endian u32 header
 * length, a JSON header, then per group the indices (int32), labels (int32) and each
 * column (float32). Readable without TensorFlow.js.
 */
import { createHash } from 'node:crypto';
import fs from 'node:fs';
import { writeFileAtomic } from '../data/atomic-file.js';

export const SCORE_COLUMNS = ['confidence', 'entropy', 'loss', 'logitConfidence'] as const;
export type ScoreColumn = (typeof SCORE_COLUMNS)[number];

export interface ScoreGroup {
  name: string;
  indices: Int32Array;
  labels: Int32Array;
  columns: Record<ScoreColumn, Float32Array>;
}

const MAGIC = 'LETHESC1';

/** Per-sample scores from softmax rows: p_y, entropy, -ln p_y and ln(p_y / (1 - p_y)). */
export function scoreGroup(name: string, indices: Int32Array, labels: Int32Array, probabilities: Float32Array, classes: number): ScoreGroup {
  const n = indices.length;
  const columns = Object.fromEntries(SCORE_COLUMNS.map((c) => [c, new Float32Array(n)])) as Record<ScoreColumn, Float32Array>;
  for (let i = 0; i < n; i++) {
    const row = probabilities.subarray(i * classes, (i + 1) * classes);
    const py = row[labels[i]!]!;
    let entropy = 0;
    for (const p of row) if (p > 0) entropy -= p * Math.log(p);
    columns.confidence[i] = py;
    columns.entropy[i] = entropy;
    columns.loss[i] = -Math.log(Math.max(py, 1e-45));
    // The rest of the mass, summed, is more accurate than 1 - p_y when p_y is near 1.
    let rest = 0;
    for (let c = 0; c < classes; c++) if (c !== labels[i]) rest += row[c]!;
    columns.logitConfidence[i] = Math.log(Math.max(py, 1e-45)) - Math.log(Math.max(rest, 1e-45));
  }
  return { name, indices, labels, columns };
}

/** Writes the groups; returns the file's sha256. */
export function writeScoreFile(file: string, groups: ScoreGroup[]): string {
  const header = Buffer.from(JSON.stringify({ columns: SCORE_COLUMNS, groups: groups.map((g) => ({ name: g.name, count: g.indices.length })) }), 'utf8');
  const length = Buffer.alloc(4);
  length.writeUInt32LE(header.length);
  const parts: Uint8Array[] = [Buffer.from(MAGIC, 'ascii'), length, header];
  for (const g of groups) {
    const arrays = [g.indices, g.labels, ...SCORE_COLUMNS.map((c) => g.columns[c])];
    for (const a of arrays) parts.push(new Uint8Array(a.buffer, a.byteOffset, a.byteLength));
  }
  writeFileAtomic(file, parts);
  const hash = createHash('sha256');
  for (const part of parts) hash.update(part);
  return hash.digest('hex');
}

export function readScoreFile(file: string): ScoreGroup[] {
  const bytes = fs.readFileSync(file);
  const fail = (why: string) => new Error(`${file} is not a Lethe score file: ${why}`);
  if (bytes.length < 12 || bytes.toString('ascii', 0, 8) !== MAGIC) throw fail('bad magic');
  const headerLength = bytes.readUInt32LE(8);
  let header: { columns: string[]; groups: { name: string; count: number }[] };
  try {
    header = JSON.parse(bytes.toString('utf8', 12, 12 + headerLength)) as typeof header;
  } catch {
    throw fail('unreadable header');
  }
  if (header.columns.join() !== SCORE_COLUMNS.join()) throw fail(`columns ${header.columns.join(', ')}, expected ${SCORE_COLUMNS.join(', ')}`);
  const expected = 12 + headerLength + header.groups.reduce((s, g) => s + g.count * 4 * (2 + SCORE_COLUMNS.length), 0);
  if (bytes.length !== expected) throw fail(`${bytes.length} bytes, the header describes ${expected}`);
  // Copy into an aligned buffer so typed views can start at any multiple of 4.
  const body = new Uint8Array(bytes.subarray(12 + headerLength)).buffer;
  let offset = 0;
  const take = <T extends Int32Array | Float32Array>(Type: new (b: ArrayBuffer, o: number, n: number) => T, n: number): T => {
    const view = new Type(body, offset, n);
    offset += n * 4;
    return view;
  };
  return header.groups.map((g) => ({
    name: g.name,
    indices: take(Int32Array, g.count),
    labels: take(Int32Array, g.count),
    columns: Object.fromEntries(SCORE_COLUMNS.map((c) => [c, take(Float32Array, g.count)])) as Record<ScoreColumn, Float32Array>,
  }));
}
