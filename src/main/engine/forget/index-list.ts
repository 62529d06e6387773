/**
 * Forget sets from index-list files, as a user drops them on the window: CSV (with or
 * without a header; a named column), JSON (an array, or {"indices": [...]}), or plain
 * text (one id per line). Ids are dataset sample indices and must lie in the train
 * split. An index is a plain non-negative decimal integer: `0x10`, `1e1`, `+3`, ` 7 `
 * are refused, not read as numbers. Every problem names the file and, where there is
 * one, the line; it quotes the file only where `quoteFromFile` allows.
 */
import path from 'node:path';
import { MIB, readFileBounded } from '../data/bounded-read.js';
import { jsonErrorPlace, quoteFromFile } from '../data/quote-from-file.js';
import { ForgetSetError } from './forget-rules.js';

/** An index list of every sample of a 5-million-sample dataset fits in 64 MiB. */
const MAX_INDEX_LIST_BYTES = 64 * MIB;

const PLAIN_INDEX = /^(0|[1-9]\d*)$/;

interface RawId {
  text: string;
  where: string;
}

function parseCsv(text: string, file: string, column: string | undefined): RawId[] {
  const lines = text.split(/\r?\n/);
  const rows = lines.map((line, n) => ({ cells: line.split(','), line: n + 1 })).filter((r) => r.cells.some((c) => c.trim() !== ''));
  if (rows.length === 0) return [];
  const first = rows[0]!.cells;
  // A header names its columns; a first row of values (even malformed ones like 0x10) is data.
  const hasHeader = first.some((c) => /^\s*[A-Za-z_]/.test(c));
  if (hasHeader) first.forEach((c, i) => (first[i] = c.trim()));
  let col = 0;
  if (column !== undefined) {
    if (!hasHeader) throw new ForgetSetError(`${file}: --column ${column} given but the file has no header row`);
    col = first.indexOf(column);
    if (col < 0) throw new ForgetSetError(`${file}: no column named '${column}' (columns: ${first.map(quoteFromFile).join(', ')})`);
  } else if (hasHeader) {
    const named = first.findIndex((c) => /^(index|indices|id|ids|sample|sample_id|idx)$/i.test(c));
    if (named >= 0) col = named;
    else if (first.length > 1) throw new ForgetSetError(`${file}: several columns (${first.map(quoteFromFile).join(', ')}); name the one with the indices`);
  } else if (first.length > 1) {
    throw new ForgetSetError(`${file}: several columns and no header; give a single column or a header and a column name`);
  }
  return rows.slice(hasHeader ? 1 : 0).map((r) => ({ text: r.cells[col] ?? '', where: `line ${r.line}` }));
}

/** The dataset a list is read for; a stored forget set's file names its own. */
interface ListTarget {
  name: string;
  digest: string;
}

function parseJson(text: string, file: string, target: ListTarget | undefined): RawId[] {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (error) {
    throw new ForgetSetError(`${file}: not valid JSON (${jsonErrorPlace(error)})`);
  }
  // A forget-set file Lethe wrote names its dataset: its indices mean nothing for another.
  const own = (value as { dataset?: { name?: unknown; digest?: unknown } } | null)?.dataset;
  if (target && own && typeof own.digest === 'string' && own.digest !== target.digest) {
    throw new ForgetSetError(
      `${file} is a forget set of another dataset (${quoteFromFile(String(own.name))}, digest ${quoteFromFile(own.digest.slice(0, 12))}), not of '${target.name}' (digest ${target.digest.slice(0, 12)})`,
    );
  }
  const list = Array.isArray(value) ? value : (value as { indices?: unknown } | null)?.indices;
  if (!Array.isArray(list)) throw new ForgetSetError(`${file}: expected a JSON array of indices or {"indices": [...]}`);
  return list.map((v, i) => ({ text: typeof v === 'number' ? String(v) : JSON.stringify(v), where: `item ${i}` }));
}

function parseText(text: string): RawId[] {
  return text
    .split(/\r?\n/)
    .map((line, n) => ({ text: line, where: `line ${n + 1}` }))
    .filter((r) => r.text.trim() !== '');
}

/** Reads and checks an index list: integers, in range, in the train split, no duplicates. */
export function readIndexList(file: string, options: { column?: string; count: number; train: Int32Array; dataset?: ListTarget }): Int32Array {
  const text = readFileBounded(file, MAX_INDEX_LIST_BYTES, 'an index list').toString('utf8');
  const ext = path.extname(file).toLowerCase();
  const raw = ext === '.json' ? parseJson(text, file, options.dataset) : ext === '.csv' ? parseCsv(text, file, options.column) : parseText(text);
  if (raw.length === 0) throw new ForgetSetError(`${file} holds no index: the forget set would be empty`);
  const inTrain = new Set(options.train);
  const seen = new Map<number, string>();
  const indices = new Int32Array(raw.length);
  raw.forEach(({ text: t, where }, k) => {
    if (!PLAIN_INDEX.test(t)) {
      const why = /^-\d{1,15}$/.test(t) ? `index ${t} is negative` : `${quoteFromFile(t)} is not an index`;
      throw new ForgetSetError(`${file}, ${where}: ${why} (expected a plain non-negative decimal integer such as 7)`);
    }
    const value = Number(t);
    if (value >= options.count) {
      throw new ForgetSetError(`${file}, ${where}: index ${t.length > 15 ? `of ${t.length} digits` : t} is out of range (the dataset has ${options.count} samples)`);
    }
    if (!inTrain.has(value)) throw new ForgetSetError(`${file}, ${where}: sample ${t} is not in the train split (it is held out or in the test set)`);
    const earlier = seen.get(value);
    if (earlier) throw new ForgetSetError(`${file}, ${where}: index ${t} is duplicated (first at ${earlier})`);
    seen.set(value, where);
    indices[k] = value;
  });
  return indices.sort();
}
