/**
 * Every importer and every file reader fed truncated files, oversized header claims,
 * zero-length and seeded random inputs: each must be refused with an InvalidRequestError
 * that names the file, reads as a sentence (no "undefined", no RangeError, no stack), and
 * leaves the data directory (and, through the service, the catalog) byte for byte as it was.
 */
import { createHash } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { gzipSync } from 'node:zlib';
import jpeg from 'jpeg-js';
import { PNG } from 'pngjs';
import { describe, expect, it } from 'vitest';
import { runCli } from '../src/main/cli.js';
import { loadCheckpoint, saveCheckpoint } from '../src/main/engine/checkpoint.js';
import { checkpointContentHash } from '../src/main/engine/checkpoint-hash.js';
import { datasetCachePath } from '../src/main/engine/data/builtin-datasets.js';
import { writeDatasetCache } from '../src/main/engine/data/dataset-cache.js';
import { loadOrCreateSplit } from '../src/main/engine/data/split.js';
import { openCheckpoint } from '../src/main/engine/jobs/checkpoint-context.js';
import { runForgetSetJob } from '../src/main/engine/jobs/forget-set-job.js';
import { runImportJob } from '../src/main/engine/jobs/import-job.js';
import { checkpointsRoot } from '../src/main/engine/jobs/train-job.js';
import { Classifier } from '../src/main/engine/models/classifier.js';
import { Random } from '../src/main/engine/random.js';
import type { ForgetSetRequestInput } from '../src/shared/forget-set.js';
import type { ImportRequest } from '../src/shared/import.js';
import { InvalidRequestError } from '../src/shared/validation.js';
import { makeTempDir, serviceForTests, syntheticDataset, idxFile } from './helpers.js';

const random = new Random(20261201, 'input-fuzz');
const randomBytes = (n: number) => Buffer.from(Uint8Array.from({ length: n }, () => random.int(256)));
/** `count` distinct cut points in [1, length - 1], ascending, none in `avoid`. */
function cuts(length: number, count: number, avoid: (n: number) => boolean = () => false): number[] {
  const points = new Set<number>();
  while (points.size < count) {
    const n = 1 + random.int(length - 1);
    if (!avoid(n)) points.add(n);
  }
  return [...points].sort((a, b) => a - b);
}

/** Text that would not help a user: a leaked JavaScript value or error class, a stack frame, a dump. */
const UNHELPFUL = /undefined|NaN|-Infinity|\[object|RangeError|TypeError|typed array|Float32Array|waitng|\bat \S+:\d+|\n/;

function expectClearRefusal(error: unknown, file: string): void {
  expect(error).toBeInstanceOf(InvalidRequestError);
  const message = (error as Error).message;
  expect(message).toContain(file);
  expect(message).not.toMatch(UNHELPFUL);
  expect(message.length).toBeLessThan(600);
}

async function refusal(work: () => unknown): Promise<unknown> {
  try {
    await work();
  } catch (error) {
    return error;
  }
  throw new Error('the input was accepted');
}

/** Every file under `dir` (catalog files aside) with its sha256. */
function snapshot(dir: string): Record<string, string> {
  const files: Record<string, string> = {};
  for (const entry of fs.readdirSync(dir, { recursive: true }).map(String).sort()) {
    const file = path.join(dir, entry);
    if (/^catalog\.sqlite/.test(entry) || !fs.statSync(file).isFile()) continue;
    files[entry] = createHash('sha256').update(fs.readFileSync(file)).digest('hex');
  }
  return files;
}

// ---- valid inputs, from which the broken ones are made ----

const SAMPLES = 6;
const idxImages = idxFile(0x803, [SAMPLES, 4, 3], randomBytes(SAMPLES * 12));
const idxLabels = idxFile(0x801, [SAMPLES], Uint8Array.from([0, 1, 2, 0, 1, 2]));
const cifarBatch = Buffer.concat([Buffer.from([0]), randomBytes(3072), Buffer.from([1]), randomBytes(3072)]);
const csvTable = 'a,b,label\n' + Array.from({ length: 30 }, (_, i) => `${i / 4},${-i},${i % 3}`).join('\n') + '\n';

function pngBytes(side: number, value: number): Buffer {
  const png = new PNG({ width: side, height: side });
  for (let p = 0; p < side * side; p++) png.data.set([value, value, value, 255], 4 * p);
  return PNG.sync.write(png);
}
const png = pngBytes(4, 90);
const jpg = Buffer.from(jpeg.encode({ data: Buffer.alloc(4 * 4 * 4, 200), width: 4, height: 4 }, 90).data);
/** A PNG whose header claims width x height (the chunk walk refuses before any decoding). */
function pngClaiming(width: number, height: number): Buffer {
  const bytes = Buffer.from(png);
  bytes.writeUInt32BE(width, 16);
  bytes.writeUInt32BE(height, 20);
  return bytes;
}
function jpgClaiming(width: number, height: number): Buffer {
  const bytes = Buffer.from(jpg);
  const sof = bytes.indexOf(Buffer.from([0xff, 0xc0]));
  bytes.writeUInt16BE(height, sof + 5);
  bytes.writeUInt16BE(width, sof + 7);
  return bytes;
}

/** What to put where a valid file was: a name for the test and the bytes (or a device to point at). */
interface Variant {
  name: string;
  bytes?: Buffer;
  device?: string;
}

function brokenVersions(valid: Buffer, options: { header?: number; avoid?: (n: number) => boolean } = {}): Variant[] {
  return [
    { name: 'zero-length', bytes: Buffer.alloc(0) },
    ...cuts(valid.length, 3, options.avoid).map((n) => ({ name: `cut at byte ${n} of ${valid.length}`, bytes: valid.subarray(0, n) })),
    ...(options.header ? [{ name: `cut inside the ${options.header}-byte header`, bytes: valid.subarray(0, options.header - 1) }] : []),
    ...[1, 2, 3].map((k) => {
      const n = 1 + random.int(400);
      return { name: `random ${n} bytes (#${k})`, bytes: randomBytes(n) };
    }),
  ];
}

// ---- the importers, run as the engine runs them (in process), against one data directory ----

describe('importers refuse broken files clearly and write nothing', () => {
  const dataDir = makeTempDir('fuzz-import');
  fs.mkdirSync(path.join(dataDir, 'datasets'));

  async function expectImportRefused(request: ImportRequest, file: string): Promise<void> {
    const before = snapshot(dataDir);
    expectClearRefusal(await refusal(() => runImportJob(request, dataDir, () => {})), file);
    expect(snapshot(dataDir)).toEqual(before);
  }

  const idxCases = (gzip: boolean): Variant[] => {
    const wrap = (b: Buffer) => (gzip ? gzipSync(b) : b);
    const claims: [string, number[]][] = [
      ['2^31 images of 28x28', [2 ** 31, 28, 28]],
      ['4294967295^3', [2 ** 32 - 1, 2 ** 32 - 1, 2 ** 32 - 1]],
      ['6 images of 65535x65535', [SAMPLES, 65535, 65535]],
      ['images 0 pixels wide', [SAMPLES, 4, 0]],
      ['0 images', [0, 4, 3]],
    ];
    const gzipCut = gzipSync(idxImages);
    return [
      ...brokenVersions(idxImages, { header: 16 }).map((v) => ({ ...v, bytes: wrap(v.bytes!) })),
      ...claims.map(([name, dims]) => ({ name: `header claims ${name}`, bytes: wrap(idxFile(0x803, dims, idxImages.subarray(16))) })),
      { name: 'valid magic, random rest', bytes: wrap(Buffer.concat([Buffer.from([0, 0, 8, 3]), randomBytes(60)])) },
      { name: 'one byte more than the header claims', bytes: wrap(Buffer.concat([idxImages, Buffer.from([7])])) },
      ...(gzip ? cuts(gzipCut.length, 2).map((n) => ({ name: `gzip stream cut at byte ${n}`, bytes: gzipCut.subarray(0, n) })) : []),
    ];
  };

  for (const gzip of [false, true]) {
    it.each(idxCases(gzip))(`IDX ${gzip ? 'gzip' : 'plain'} images: $name`, async (variant) => {
      const dir = makeTempDir('fuzz-idx');
      const suffix = gzip ? '.gz' : '';
      fs.writeFileSync(path.join(dir, `train-labels-idx1-ubyte${suffix}`), gzip ? gzipSync(idxLabels) : idxLabels);
      const images = path.join(dir, `train-images-idx3-ubyte${suffix}`);
      fs.writeFileSync(images, variant.bytes!);
      await expectImportRefused({ paths: [dir], format: 'idx' }, images);
    });
  }

  it.each([
    ...brokenVersions(idxLabels, { header: 8 }),
    { name: 'header claims 2^32 - 1 labels', bytes: idxFile(0x801, [2 ** 32 - 1], idxLabels.subarray(8)) },
    { name: 'every label the same', bytes: idxFile(0x801, [SAMPLES], new Uint8Array(SAMPLES)) },
  ])('IDX labels: $name', async (variant) => {
    const dir = makeTempDir('fuzz-idx-labels');
    fs.writeFileSync(path.join(dir, 'train-images-idx3-ubyte'), idxImages);
    const labels = path.join(dir, 'train-labels-idx1-ubyte');
    fs.writeFileSync(labels, variant.bytes!);
    await expectImportRefused({ paths: [dir], format: 'idx' }, labels);
  });

  it.each([
    // A cut on a record boundary is a valid, shorter batch: those points are skipped.
    ...brokenVersions(cifarBatch, { avoid: (n) => n % 3073 === 0 || n % 3074 === 0 }).filter((v) => v.bytes!.length % 3073 !== 0 && v.bytes!.length % 3074 !== 0),
    { name: 'zero-length', bytes: Buffer.alloc(0) },
    { name: 'gzip-compressed', bytes: gzipSync(cifarBatch) },
    { name: 'every record labelled 0', bytes: Buffer.from(cifarBatch).fill(0, 3073, 3074) },
    { name: '/dev/zero', device: '/dev/zero' },
  ])('CIFAR batch: $name', async (variant) => {
    const dir = makeTempDir('fuzz-cifar');
    const batch = variant.device ?? path.join(dir, 'data_batch_1.bin');
    if (variant.bytes) fs.writeFileSync(batch, variant.bytes);
    await expectImportRefused({ paths: [variant.device ? batch : dir], format: 'cifar' }, batch);
  });

  const csvRow = csvTable.indexOf('\n', csvTable.length / 2) + 1;
  it.each([
    { name: 'zero-length', bytes: Buffer.alloc(0) },
    ...cuts(12, 2).map((n) => ({ name: `cut after ${n} bytes of a row`, bytes: Buffer.from(csvTable.slice(0, csvRow) + csvTable.slice(csvRow).split('\n')[0]!.split(',')[0]! + ',') })),
    { name: 'header only', bytes: Buffer.from('a,b,label\n') },
    { name: 'two rows (too few to split)', bytes: Buffer.from('a,label\n1,x\n2,y\n') },
    { name: 'a hexadecimal feature', bytes: Buffer.from(csvTable.replace('\n1,', '\n0x10,')) },
    { name: 'an infinite feature', bytes: Buffer.from(csvTable.replace('\n1,', '\nInfinity,')) },
    { name: 'one line of 1.1 MiB', bytes: Buffer.alloc(1.1 * 2 ** 20, 0x61) },
    { name: '257 distinct labels', bytes: Buffer.from('x,label\n' + Array.from({ length: 257 }, (_, i) => `1,c${i}`).join('\n')) },
    ...[1, 2, 3].map((k) => ({ name: `random binary (#${k})`, bytes: randomBytes(200 + random.int(2000)) })),
    { name: '/dev/zero', device: '/dev/zero' },
  ] as Variant[])('CSV: $name', async (variant) => {
    const file = variant.device ?? path.join(makeTempDir('fuzz-csv'), 'table.csv');
    if (variant.bytes) fs.writeFileSync(file, variant.bytes);
    await expectImportRefused({ paths: [file], format: 'csv' }, file);
  });

  const imageCases: (Variant & { ext: string })[] = [
    ...brokenVersions(png, { header: 33 }).map((v) => ({ ...v, name: `PNG ${v.name}`, ext: '.png' })),
    ...brokenVersions(jpg).map((v) => ({ ...v, name: `JPEG ${v.name}`, ext: '.jpg' })),
    { name: 'PNG signature, random rest', bytes: Buffer.concat([png.subarray(0, 8), randomBytes(300)]), ext: '.png' },
    { name: 'JPEG start marker, random rest', bytes: Buffer.concat([jpg.subarray(0, 2), randomBytes(300)]), ext: '.jpg' },
    { name: 'PNG claiming 100000x100000 pixels', bytes: pngClaiming(100000, 100000), ext: '.png' },
    { name: 'PNG claiming 0x4 pixels', bytes: pngClaiming(0, 4), ext: '.png' },
    { name: 'JPEG claiming 65535x65535 pixels', bytes: jpgClaiming(65535, 65535), ext: '.jpg' },
    { name: 'JPEG claiming 4x0 pixels', bytes: jpgClaiming(4, 0), ext: '.jpg' },
    { name: 'PNG with a damaged image chunk', bytes: Buffer.from(png).fill(0x55, 45, 50), ext: '.png' },
  ];
  it.each(imageCases)('image folder: $name', async (variant) => {
    const root = makeTempDir('fuzz-folder');
    fs.mkdirSync(path.join(root, 'a'));
    fs.mkdirSync(path.join(root, 'b'));
    fs.writeFileSync(path.join(root, 'a', '1.png'), png);
    const broken = path.join(root, 'b', `2${variant.ext}`);
    fs.writeFileSync(broken, variant.bytes!);
    await expectImportRefused({ paths: [root], format: 'image-folder' }, broken);
  });
});

// ---- the forget-set readers (index lists and images) and the checkpoint files ----

describe('forget-set files are refused clearly and nothing is written', () => {
  const dataDir = makeTempDir('fuzz-forget');
  const dataset = { ...syntheticDataset(300, 4, 8, 1, 3), name: 'fuzzset' };
  writeDatasetCache(datasetCachePath(dataDir, dataset.name), dataset);
  const { train } = loadOrCreateSplit(dataDir, dataset);
  const some = [...train.subarray(0, 20)];

  async function expectForgetRefused(paths: string[], file: string, splitSeed = 0): Promise<void> {
    const before = snapshot(dataDir);
    const request = { dataset: dataset.name, rule: { kind: 'file' as const, paths }, splitSeed };
    expectClearRefusal(await refusal(() => runForgetSetJob(request, dataDir, () => {})), file);
    expect(snapshot(dataDir)).toEqual(before);
  }

  const lists: Record<string, string> = {
    '.txt': some.join('\n') + '\n',
    '.csv': 'index\n' + some.join('\n') + '\n',
    '.json': JSON.stringify({ indices: some }),
  };
  const listCases: (Variant & { ext: string })[] = [
    ...Object.keys(lists).flatMap((ext) => [
      { ext, name: `${ext} zero-length`, bytes: Buffer.alloc(0) },
      { ext, name: `${ext} random binary`, bytes: randomBytes(100 + random.int(500)) },
      { ext, name: `${ext} an index past the dataset`, bytes: Buffer.from(lists[ext]!.replace(String(some[3]), '99999999999999999999')) },
      { ext, name: `${ext} an index 2^32`, bytes: Buffer.from(lists[ext]!.replace(String(some[3]), String(2 ** 32))) },
      { ext, name: `${ext} every train sample`, bytes: Buffer.from(lists[ext]!.replace(some.join(ext === '.json' ? ',' : '\n'), [...train].join(ext === '.json' ? ',' : '\n'))) },
      { ext, name: `${ext} /dev/zero`, device: '/dev/zero' },
    ]),
    ...['0x10', '1e1', '+3', ' 7 ', '-0'].flatMap((value) => [
      { ext: '.txt', name: `.txt index ${JSON.stringify(value)}`, bytes: Buffer.from(`${some[0]}\n${value}\n`) },
      { ext: '.csv', name: `.csv index ${JSON.stringify(value)}`, bytes: Buffer.from(`index\n${some[0]}\n${value}\n`) },
    ]),
    // A cut list of numbers is a valid shorter list; a cut JSON document is not.
    ...cuts(lists['.json']!.length, 3).map((n) => ({ ext: '.json', name: `.json cut at byte ${n}`, bytes: Buffer.from(lists['.json']!.slice(0, n)) })),
  ];
  it.each(listCases)('index list: $name', async (variant) => {
    const file = variant.device ?? path.join(makeTempDir('fuzz-list'), `ids${variant.ext}`);
    if (variant.bytes) fs.writeFileSync(file, variant.bytes);
    await expectForgetRefused([file], file);
  });

  it('refuses a list with a new split seed without writing that split', async () => {
    const file = path.join(makeTempDir('fuzz-list-seed'), 'ids.txt');
    fs.writeFileSync(file, '0x10\n');
    await expectForgetRefused([file], file, 7);
  });

  it.each([
    ...brokenVersions(png, { header: 33 }).map((v) => ({ ...v, name: `PNG ${v.name}`, ext: '.png' })),
    ...brokenVersions(jpg).map((v) => ({ ...v, name: `JPEG ${v.name}`, ext: '.jpg' })),
    { name: 'PNG claiming 100000x100000 pixels', bytes: pngClaiming(100000, 100000), ext: '.png' },
  ])('forget image: $name', async (variant) => {
    const dir = makeTempDir('fuzz-forget-images');
    const file = path.join(dir, `x${variant.ext}`);
    fs.writeFileSync(file, variant.bytes!);
    await expectForgetRefused([dir], file);
  });
});

describe('checkpoint files are refused clearly', () => {
  const dataDir = makeTempDir('fuzz-checkpoint');
  const dataset = { ...syntheticDataset(300, 4, 8, 1, 4), name: 'fuzzset' };
  writeDatasetCache(datasetCachePath(dataDir, dataset.name), dataset);
  loadOrCreateSplit(dataDir, dataset);
  const model = Classifier.create({ architecture: 'mlp', inputShape: [8, 8, 1], numClasses: 4, normalization: { mean: [0.3], std: [0.3] }, seed: 2 });
  const saved = saveCheckpoint(checkpointsRoot(dataDir), model, { dataset: { name: dataset.name, digest: dataset.digest }, split: { seed: 0 } });
  model.dispose();
  const original = Object.fromEntries(['model.json', 'weights.bin', 'provenance.json'].map((f) => [f, fs.readFileSync(path.join(saved.path, f))]));
  const manifest = JSON.parse(original['model.json']!.toString('utf8')) as { tensors: { length: number }[] };

  const cases: { file: string; name: string; bytes: Buffer }[] = [
    ...brokenVersions(original['weights.bin']!, { avoid: (n) => n % 4 === 0 }).map((v) => ({ file: 'weights.bin', name: v.name, bytes: v.bytes! })),
    ...brokenVersions(original['model.json']!).map((v) => ({ file: 'model.json', name: v.name, bytes: v.bytes! })),
    { file: 'model.json', name: 'a tensor claiming 2^40 values', bytes: Buffer.from(JSON.stringify({ ...manifest, tensors: manifest.tensors.map((t, i) => (i === 0 ? { ...t, length: 2 ** 40 } : t)) })) },
    { file: 'model.json', name: 'JSON null', bytes: Buffer.from('null') },
    { file: 'model.json', name: 'no model spec', bytes: Buffer.from(JSON.stringify({ ...manifest, spec: null })) },
  ];

  it.each(cases.flatMap((c) => [false, true].map((vouched) => ({ ...c, vouched }))))('$file: $name (hash recorded for the damaged files: $vouched)', (variant) => {
    // A copy under another name is verified against the hash its provenance records; with
    // that hash recomputed over the damaged files, the checks behind the hash must refuse them.
    const copy = path.join(makeTempDir('fuzz-copy'), 'checkpoint');
    fs.cpSync(saved.path, copy, { recursive: true });
    fs.writeFileSync(path.join(copy, variant.file), variant.bytes);
    if (variant.vouched) {
      const hash = checkpointContentHash(fs.readFileSync(path.join(copy, 'model.json')), fs.readFileSync(path.join(copy, 'weights.bin')));
      fs.writeFileSync(path.join(copy, 'provenance.json'), JSON.stringify({ ...JSON.parse(original['provenance.json']!.toString('utf8')), hash }));
    }
    const before = snapshot(dataDir);
    let error: unknown;
    try {
      loadCheckpoint(copy).dispose();
    } catch (e) {
      error = e;
    }
    expectClearRefusal(error, copy);
    expect(snapshot(dataDir)).toEqual(before);
  });

  it.each([
    { name: 'zero-length', bytes: Buffer.alloc(0) },
    { name: 'JSON null', bytes: Buffer.from('null') },
    { name: 'no dataset', bytes: Buffer.from('{"split": {"seed": 0}}') },
    { name: 'random binary', bytes: randomBytes(300) },
  ])('provenance.json: $name', (variant) => {
    const copy = path.join(makeTempDir('fuzz-provenance'), 'checkpoint');
    fs.cpSync(saved.path, copy, { recursive: true });
    fs.writeFileSync(path.join(copy, 'provenance.json'), variant.bytes);
    const before = snapshot(dataDir);
    let error: unknown;
    try {
      openCheckpoint(dataDir, copy, () => {});
    } catch (e) {
      error = e;
    }
    expectClearRefusal(error, copy);
    expect(snapshot(dataDir)).toEqual(before);
  });
});

// ---- through the service (a real engine process) and the command line ----

describe('the service refuses broken files and leaves the catalog and data directory as they were', () => {
  const { dataDir, catalog, service } = serviceForTests('fuzz-service');
  const catalogRows = () =>
    Object.fromEntries(
      (catalog.db.prepare("SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY name").all() as { name: string }[]).map(({ name }) => [
        name,
        catalog.db.prepare(`SELECT * FROM "${name}"`).all(),
      ]),
    );
  const state = () => ({ rows: catalogRows(), files: snapshot(dataDir) });

  it('imports a valid dataset first (the baseline the refusals must keep)', async () => {
    const dir = makeTempDir('fuzz-valid');
    const valid = syntheticDataset(200, 4, 8, 1, 6);
    fs.writeFileSync(path.join(dir, 'train-images-idx3-ubyte'), idxFile(0x803, [200, 8, 8], valid.pixels as Uint8Array));
    fs.writeFileSync(path.join(dir, 'train-labels-idx1-ubyte'), idxFile(0x801, [200], valid.labels));
    const outcome = await service.importDataset({ paths: [dir], name: 'squares' });
    expect(outcome.dataset.sampleCount).toBe(200);
  });

  const write = (name: string, bytes: Buffer | string) => {
    const file = path.join(makeTempDir('fuzz-service-input'), name);
    fs.mkdirSync(path.dirname(file), { recursive: true });
    fs.writeFileSync(file, bytes);
    return file;
  };
  const idxDir = (images: Buffer) => {
    const dir = makeTempDir('fuzz-service-idx');
    fs.writeFileSync(path.join(dir, 'train-labels-idx1-ubyte'), idxLabels);
    fs.writeFileSync(path.join(dir, 'train-images-idx3-ubyte'), images);
    return { dir, file: path.join(dir, 'train-images-idx3-ubyte') };
  };

  it.each([
    ['an IDX header claiming 2^31 images', () => idxDir(idxFile(0x803, [2 ** 31, 28, 28], idxImages.subarray(16)))],
    ['IDX images 0 pixels wide', () => idxDir(idxFile(0x803, [SAMPLES, 4, 0], Buffer.alloc(0)))],
    ['an empty IDX images file', () => idxDir(Buffer.alloc(0))],
    ['a 2-row CSV', () => ({ file: write('two.csv', 'a,label\n1,x\n2,y\n') })],
    ['/dev/zero as CSV', () => ({ file: '/dev/zero', format: 'csv' as const })],
  ] as [string, () => { dir?: string; file: string; format?: 'csv' }][])('import: %s', async (_, make) => {
    const { dir, file, format } = make();
    const before = state();
    await expect(service.importDataset({ paths: [dir ?? file], format })).rejects.toThrow(file);
    expect(state()).toEqual(before);
  });

  it.each([
    ['/dev/zero as an index list', () => '/dev/zero', 0],
    ['0x10 in an index list', () => write('ids.txt', '0x10\n'), 0],
    ['a truncated PNG', () => write('x.png', png.subarray(0, 40)), 0],
    ['a refused list with a new split seed', () => write('ids.csv', 'index\n1e1\n'), 9],
  ] as [string, () => string, number][])('forget set: %s', async (_, make, splitSeed) => {
    const file = make();
    const before = state();
    const request: ForgetSetRequestInput = { dataset: 'squares', rule: { kind: 'file', paths: [file] }, splitSeed };
    await expect(service.createForgetSet(request)).rejects.toThrow(file);
    expect(state()).toEqual(before);
  });

  it('refuses a forget set of every class, naming the empty retain set', async () => {
    const before = state();
    await expect(service.createForgetSet({ dataset: 'squares', rule: { kind: 'classes', classes: [0, 1, 2, 3] } })).rejects.toThrow(
      /the forget set holds all \d+ train samples: the retain set would be empty/,
    );
    expect(state()).toEqual(before);
  });
});

describe('the command line', () => {
  async function cli(args: string[]): Promise<{ code: number; err: string }> {
    let err = '';
    const code = await runCli(args, { out: () => {}, err: (t) => (err += t + '\n'), isTTY: false });
    return { code, err };
  }
  const dataDir = makeTempDir('fuzz-cli');

  it('imports a valid dataset first', async () => {
    const file = path.join(makeTempDir('fuzz-cli-csv'), 'table.csv');
    fs.writeFileSync(file, csvTable);
    expect(await cli(['import', file, '--name', 'table', '--data-dir', dataDir])).toEqual({ code: 0, err: '' });
  });

  it.each([
    [['import', '/dev/zero', '--format', 'csv'], '/dev/zero, line 1 is longer than 1 MiB, the limit for one CSV line'],
    [['forget', '--dataset', 'table', '--file', '/dev/zero'], '/dev/zero is larger than 64 MiB, the limit for an index list'],
  ])('refuses %j with one clear line and no stack trace', async (args, message) => {
    const before = snapshot(dataDir);
    const { code, err } = await cli([...args, '--data-dir', dataDir]);
    expect(code).toBe(2);
    expect(err).toContain(message);
    expect(err.trim()).not.toMatch(UNHELPFUL);
    expect(snapshot(dataDir)).toEqual(before);
  });
});
