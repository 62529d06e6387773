/**
 * Forget sets from index-list files, as a user drops them on the window: CSV (with or
 * without a header; a named column), JSON (an array, or {"indices": [...]}), or plain
 * text (one id per line). Ids are dataset sample indices and must lie in the train
 * split. Every problem names the file and, where there is one, the line; it quotes the
 * file only where `quoteFromFile` allows.
 */
import fs from 'node:fs';
import path from 'node:path';
import { jsonErrorPlace, quoteFromFile } from '../data/quote-from-file.js';
import { ForgetSetError } from './forget-rules.js';

interface RawId {
  text: string;
  where: string;
}

function parseCsv(text: string, file: string, column: string | undefined): RawId[] {
  const lines = text.split(/\r?\n/);
  const rows = lines.map((line, n) => ({ cells: line.split(',').map((c) => c.trim()), line: n + 1 })).filter((r) => r.cells.some((c) => c !== ''));
  if (rows.length === 0) return [];
  const first = rows[0]!.cells;
  const hasHeader = first.some((c) => c !== '' && !/^[-+]?\d+(\.\d+)?$/.test(c));
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

function parseJson(text: string, file: string): RawId[] {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (error) {
    throw new ForgetSetError(`${file}: not valid JSON (${jsonErrorPlace(error)})`);
  }
  const list = Array.isArray(value) ? value : (value as { indices?: unknown } | null)?.indices;
  if (!Array.isArray(list)) throw new ForgetSetError(`${file}: expected a JSON array of indices or {"indices": [...]}`);
  return list.map((v, i) => ({ text: typeof v === 'number' ? String(v) : JSON.stringify(v), where: `item ${i}` }));
}

function parseText(text: string): RawId[] {
  return text
    .split(/\r?\n/)
    .map((line, n) => ({ text: line.trim(), where: `line ${n + 1}` }))
    .filter((r) => r.text !== '');
}

/** Reads and checks an index list: integers, in range, in the train split, no duplicates. */
export function readIndexList(file: string, options: { column?: string; count: number; train: Int32Array }): Int32Array {
  let text: string;
  try {
    text = fs.readFileSync(file, 'utf8');
  } catch (error) {
    throw new ForgetSetError(`cannot read ${file}: ${(error as Error).message}`);
  }
  const ext = path.extname(file).toLowerCase();
  const raw = ext === '.json' ? parseJson(text, file) : ext === '.csv' ? parseCsv(text, file, options.column) : parseText(text);
  if (raw.length === 0) throw new ForgetSetError(`${file} holds no index: the forget set would be empty`);
  const inTrain = new Set(options.train);
  const seen = new Map<number, string>();
  const indices = new Int32Array(raw.length);
  raw.forEach(({ text: t, where }, k) => {
    const value = Number(t);
    if (t === '' || !Number.isFinite(value)) throw new ForgetSetError(`${file}, ${where}: ${quoteFromFile(t)} is not a number`);
    if (!Number.isInteger(value)) throw new ForgetSetError(`${file}, ${where}: ${t} is not an integer index`);
    if (value < 0) throw new ForgetSetError(`${file}, ${where}: index ${t} is negative`);
    if (value >= options.count) throw new ForgetSetError(`${file}, ${where}: index ${t} is out of range (the dataset has ${options.count} samples)`);
    if (!inTrain.has(value)) throw new ForgetSetError(`${file}, ${where}: sample ${t} is not in the train split (it is held out or in the test set)`);
    const earlier = seen.get(value);
    if (earlier) throw new ForgetSetError(`${file}, ${where}: index ${t} is duplicated (first at ${earlier})`);
    seen.set(value, where);
    indices[k] = value;
  });
  return indices.sort();
}
