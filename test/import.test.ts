import fs from 'node:fs';
import path from 'node:path';
import { gzipSync } from 'node:zlib';
import jpeg from 'jpeg-js';
import { PNG } from 'pngjs';
import { describe, expect, it } from 'vitest';
import { runImporter, guessFormat } from '../src/main/engine/data/importers/import-format.js';
import { runImportJob } from '../src/main/engine/jobs/import-job.js';
import { CancelledError } from '../src/main/engine/train/trainer.js';
import type { TaskProgress } from '../src/shared/import.js';
import { Random } from '../src/main/engine/random.js';
import { makeTempDir } from './helpers.js';

const noProgress = () => {};
const random = new Random(42, 'import-test');
const bytes = (n: number) => Uint8Array.from({ length: n }, () => random.int(256));

function idx(kind: 'images' | 'labels', data: Uint8Array, dims: number[]): Buffer {
  const header = Buffer.alloc(4 + 4 * dims.length);
  header.writeUInt32BE(kind === 'images' ? 0x00000803 : 0x00000801, 0);
  dims.forEach((d, i) => header.writeUInt32BE(d, 4 + 4 * i));
  return Buffer.concat([header, Buffer.from(data)]);
}

function writePng(file: string, width: number, height: number, rgb: (x: number, y: number) => [number, number, number]): void {
  const png = new PNG({ width, height });
  for (let y = 0; y < height; y++)
    for (let x = 0; x < width; x++) {
      const [r, g, b] = rgb(x, y);
      png.data.set([r, g, b, 255], 4 * (y * width + x));
    }
  fs.mkdirSync(path.dirname(file), { recursive: true });
  fs.writeFileSync(file, PNG.sync.write(png));
}

describe('IDX import', () => {
  const images = bytes(5 * 4 * 3);
  const labels = Uint8Array.from([0, 1, 2, 1, 0]);
  const testImages = bytes(2 * 4 * 3);
  const testLabels = Uint8Array.from([2, 0]);

  it.each([false, true])('reads images and labels value for value (gzip %s), t10k as the own test set', async (gzip) => {
    const dir = makeTempDir('idx');
    const write = (name: string, content: Buffer) => fs.writeFileSync(path.join(dir, name + (gzip ? '.gz' : '')), gzip ? gzipSync(content) : content);
    write('train-images-idx3-ubyte', idx('images', images, [5, 4, 3]));
    write('train-labels-idx1-ubyte', idx('labels', labels, [5]));
    write('t10k-images-idx3-ubyte', idx('images', testImages, [2, 4, 3]));
    write('t10k-labels-idx1-ubyte', idx('labels', testLabels, [2]));
    expect(guessFormat([dir])).toBe('idx');
    const { data } = await runImporter({ paths: [dir] }, noProgress);
    expect([data.height, data.width, data.channels, data.testCount, data.dtype]).toEqual([4, 3, 1, 2, 'uint8']);
    expect([...data.pixels]).toEqual([...images, ...testImages]);
    expect([...data.labels]).toEqual([...labels, ...testLabels]);
    expect(data.classNames).toEqual(['0', '1', '2']);
  });

  it('refuses a wrong magic number and a size that disagrees with the header', async () => {
    const dir = makeTempDir('idx-bad');
    const imagesFile = path.join(dir, 'train-images-idx3-ubyte');
    const labelsFile = path.join(dir, 'train-labels-idx1-ubyte');
    fs.writeFileSync(labelsFile, idx('labels', labels, [5]));
    const bad = idx('images', images, [5, 4, 3]);
    bad.writeUInt32BE(0x00000903, 0);
    fs.writeFileSync(imagesFile, bad);
    await expect(runImporter({ paths: [dir] }, noProgress)).rejects.toThrow(/train-images-idx3-ubyte: wrong IDX magic number 0x00000903/);
    fs.writeFileSync(imagesFile, idx('images', images, [5, 4, 3]).subarray(0, 40));
    await expect(runImporter({ paths: [dir] }, noProgress)).rejects.toThrow(/size disagrees with its header: \[5, 4, 3\] needs 76 bytes, the file has 40/);
    fs.writeFileSync(imagesFile, idx('images', images, [5, 4, 3]));
    fs.writeFileSync(labelsFile, idx('labels', labels.subarray(0, 4), [4]));
    await expect(runImporter({ paths: [dir] }, noProgress)).rejects.toThrow(/4 labels for 5 images/);
  });
});

describe('cancelling an import job', () => {
  it('stops at the next progress report while reading and writes nothing', async () => {
    const dir = makeTempDir('cancel-idx');
    const count = 48_000; // 3 MB of images: several 1 MiB chunks, each reporting progress
    fs.writeFileSync(path.join(dir, 'train-images-idx3-ubyte'), idx('images', bytes(count * 64), [count, 8, 8]));
    fs.writeFileSync(path.join(dir, 'train-labels-idx1-ubyte'), idx('labels', Uint8Array.from({ length: count }, (_, i) => i % 4), [count]));
    const dataDir = makeTempDir('cancel-data');
    const controller = new AbortController();
    const reports: TaskProgress[] = [];
    const cancelAtFirstReport = (p: TaskProgress) => {
      reports.push(p);
      controller.abort();
    };
    await expect(runImportJob({ paths: [dir] }, dataDir, cancelAtFirstReport, controller.signal)).rejects.toThrow(CancelledError);
    // Reading went no further: the images' last chunk (done = total) was never reported.
    expect(reports).toHaveLength(1);
    expect(reports[0]!.done).toBeLessThan(reports[0]!.total);
    expect(fs.readdirSync(dataDir)).toEqual([]);
  });
});

describe('CIFAR import', () => {
  function record(label: number[], pixels: Uint8Array): Buffer {
    return Buffer.concat([Buffer.from(label), Buffer.from(pixels)]);
  }

  it('reads CIFAR-10 batches planar to HWC, with class names and the test batch as test set', async () => {
    const dir = makeTempDir('cifar10');
    const px = [bytes(3072), bytes(3072), bytes(3072)];
    fs.writeFileSync(path.join(dir, 'data_batch_1.bin'), record([3], px[0]!));
    fs.writeFileSync(path.join(dir, 'data_batch_2.bin'), record([9], px[1]!));
    fs.writeFileSync(path.join(dir, 'test_batch.bin'), record([0], px[2]!));
    fs.writeFileSync(path.join(dir, 'batches.meta.txt'), 'airplane\nautomobile\nbird\ncat\ndeer\ndog\nfrog\nhorse\nship\ntruck\n');
    expect(guessFormat([dir])).toBe('cifar');
    const { data } = await runImporter({ paths: [dir] }, noProgress);
    expect([data.height, data.width, data.channels, data.testCount]).toEqual([32, 32, 3, 1]);
    expect([...data.labels]).toEqual([3, 9, 0]);
    expect(data.classNames[3]).toBe('cat');
    // Pixel (row 1, col 2) of image 1: R at 32 + 2 in the red plane, G 1024 further, B 2048 further.
    const p = 32 + 2;
    const at = (n: number, k: number) => data.pixels[n * 3072 + 3 * p + k];
    expect([at(1, 0), at(1, 1), at(1, 2)]).toEqual([px[1]![p], px[1]![1024 + p], px[1]![2048 + p]]);
    for (let n = 0; n < 3; n++)
      for (let q = 0; q < 1024; q++) for (let k = 0; k < 3; k++) if (data.pixels[n * 3072 + 3 * q + k] !== px[n]![k * 1024 + q]) throw new Error(`pixel ${n}/${q}/${k}`);
  });

  it('reads CIFAR-100 fine or coarse labels', async () => {
    const dir = makeTempDir('cifar100');
    fs.writeFileSync(path.join(dir, 'train.bin'), Buffer.concat([record([1, 57], bytes(3072)), record([19, 99], bytes(3072))]));
    fs.writeFileSync(path.join(dir, 'test.bin'), record([0, 3], bytes(3072)));
    expect([...(await runImporter({ paths: [dir] }, noProgress)).data.labels]).toEqual([57, 99, 3]);
    expect([...(await runImporter({ paths: [dir], cifarLabels: 'coarse' }, noProgress)).data.labels]).toEqual([1, 19, 0]);
  });

  it('refuses a truncated record, naming the file', async () => {
    const dir = makeTempDir('cifar-bad');
    fs.writeFileSync(path.join(dir, 'data_batch_1.bin'), Buffer.concat([record([1], bytes(3072)), record([2], bytes(3072)).subarray(0, 1000)]));
    await expect(runImporter({ paths: [dir] }, noProgress)).rejects.toThrow(/data_batch_1.bin: truncated record: 4073 bytes is not a whole number of 3073-byte CIFAR-10 records \(record 2 is incomplete\)/);
  });
});

describe('CSV import', () => {
  it('reads features and string labels', async () => {
    const file = path.join(makeTempDir('csv'), 'iris.csv');
    fs.writeFileSync(file, 'a,b,species\n1.5,2,setosa\n-3,4e-1,virginica\n\n0,0.25,setosa\n');
    const { data } = await runImporter({ paths: [file] }, noProgress);
    expect([data.height, data.width, data.channels, data.dtype]).toEqual([1, 1, 2, 'float32']);
    expect([...data.pixels]).toEqual([1.5, 2, -3, Math.fround(0.4), 0, 0.25]);
    expect(data.classNames).toEqual(['setosa', 'virginica']);
    expect([...data.labels]).toEqual([0, 1, 0]);
  });

  it('orders decimal labels numerically, before labels that are text (0x1 is text, not 1)', async () => {
    const file = path.join(makeTempDir('csv-labels'), 'l.csv');
    fs.writeFileSync(file, 'x,label\n1,10\n2,0x1\n3,2\n4,b\n5,0x1\n');
    const { data } = await runImporter({ paths: [file] }, noProgress);
    expect(data.classNames).toEqual(['2', '10', '0x1', 'b']);
    expect([...data.labels]).toEqual([1, 2, 0, 3, 2]);
  });

  it('uses a named label column and refuses non-numeric features and missing labels', async () => {
    const dir = makeTempDir('csv-bad');
    const file = path.join(dir, 't.csv');
    fs.writeFileSync(file, 'y,x1,x2\n1,0.5,0.25\n0,1,2\n');
    expect([...(await runImporter({ paths: [file], labelColumn: 'y' }, noProgress)).data.pixels]).toEqual([0.5, 0.25, 1, 2]);
    fs.writeFileSync(file, 'x1,x2,label\n1,2,a\n3,high,b\n');
    await expect(runImporter({ paths: [file] }, noProgress)).rejects.toThrow(/t.csv, line 3: feature 'x2' is 'high', not a decimal number/);
    fs.writeFileSync(file, 'x1,x2,label\n1,2,a\n3,4,\n');
    await expect(runImporter({ paths: [file] }, noProgress)).rejects.toThrow(/t.csv, line 3: the label \('label'\) is missing/);
    await expect(runImporter({ paths: [file], labelColumn: 'class' }, noProgress)).rejects.toThrow(/no label column named 'class'/);
  });

  it('refuses a file that is not a table without quoting its content', async () => {
    const file = path.join(makeTempDir('csv-passwd'), 'passwd');
    fs.writeFileSync(file, 'root:x:0:0:root:/root:/bin/bash\ndaemon:x:1:1:daemon,sys:/usr/sbin:/usr/sbin/nologin\n');
    await expect(runImporter({ paths: [file], format: 'csv' }, noProgress)).rejects.toThrow(/passwd: no feature column besides the label an entry of 31 characters$/);
    await expect(runImporter({ paths: [file], format: 'csv', labelColumn: 'y' }, noProgress)).rejects.toThrow(
      /passwd: no label column named 'y' \(columns: an entry of 31 characters\)$/,
    );
    fs.writeFileSync(file, 'x,label\nsecret:/etc/shadow,a\n');
    await expect(runImporter({ paths: [file], format: 'csv' }, noProgress)).rejects.toThrow(/passwd, line 2: feature 'x' is an entry of 18 characters, not a decimal number$/);
  });
});

describe('image folder import', () => {
  it('reads PNG classes value for value, gray and colour', async () => {
    const root = makeTempDir('folder');
    writePng(path.join(root, 'cat', 'a.png'), 3, 2, (x, y) => [10 * x + y, 100, 200]);
    writePng(path.join(root, 'dog', 'b.png'), 3, 2, (x, y) => [x, y, 7]);
    expect(guessFormat([root])).toBe('image-folder');
    const { data } = await runImporter({ paths: [root] }, noProgress);
    expect([data.height, data.width, data.channels]).toEqual([2, 3, 3]);
    expect(data.classNames).toEqual(['cat', 'dog']);
    expect([...data.labels]).toEqual([0, 1]);
    expect([...data.pixels.subarray(0, 6)]).toEqual([0, 100, 200, 10, 100, 200]);
    expect([...data.pixels.subarray(18, 21)]).toEqual([0, 0, 7]);
  });

  it('reads JPEG images (lossy: within a few levels of the source)', async () => {
    const root = makeTempDir('jpeg');
    for (const [cls, value] of [['a', 60], ['b', 190]] as const) {
      const rgba = Buffer.alloc(8 * 8 * 4, 255);
      for (let i = 0; i < 64; i++) rgba.fill(value, 4 * i, 4 * i + 3);
      fs.mkdirSync(path.join(root, cls));
      fs.writeFileSync(path.join(root, cls, 'x.jpg'), jpeg.encode({ data: rgba, width: 8, height: 8 }, 100).data);
    }
    const { data } = await runImporter({ paths: [root], format: 'image-folder' }, noProgress);
    expect([data.height, data.width, data.channels]).toEqual([8, 8, 1]);
    expect(Math.abs(data.pixels[0]! - 60)).toBeLessThanOrEqual(3);
    expect(Math.abs(data.pixels[64]! - 190)).toBeLessThanOrEqual(3);
  });

  it('refuses differing sizes unless asked to resize, empty class folders and undecodable files', async () => {
    const root = makeTempDir('folder-bad');
    writePng(path.join(root, 'a', '1.png'), 4, 4, () => [9, 9, 9]);
    writePng(path.join(root, 'b', '2.png'), 8, 8, () => [50, 50, 50]);
    await expect(runImporter({ paths: [root] }, noProgress)).rejects.toThrow(/2.png is 8x8, the first image is 4x4; import with resizing/);
    const resized = await runImporter({ paths: [root], resize: true }, noProgress);
    expect([resized.data.height, resized.data.width]).toEqual([4, 4]);
    expect([...resized.data.pixels.subarray(16)]).toEqual(new Array(16).fill(50));
    const sized = await runImporter({ paths: [root], resize: true, size: [2, 2] }, noProgress);
    expect([...sized.data.pixels]).toEqual([9, 9, 9, 9, 50, 50, 50, 50]);
    fs.mkdirSync(path.join(root, 'c'));
    await expect(runImporter({ paths: [root], resize: true }, noProgress)).rejects.toThrow(/c: the class folder is empty/);
    fs.writeFileSync(path.join(root, 'c', 'broken.png'), 'not a png at all');
    await expect(runImporter({ paths: [root], resize: true }, noProgress)).rejects.toThrow(/broken.png does not decode as an image/);
  });

  it('refuses a symbolic link that leads outside the given folder', async () => {
    const root = makeTempDir('folder-link');
    const outside = makeTempDir('outside');
    writePng(path.join(root, 'a', '1.png'), 2, 2, () => [1, 1, 1]);
    writePng(path.join(outside, 'secret.png'), 2, 2, () => [2, 2, 2]);
    fs.symlinkSync(outside, path.join(root, 'b'));
    await expect(runImporter({ paths: [root] }, noProgress)).rejects.toThrow(/leads outside .* refusing to follow it/);
  });
});

describe('header claims, empty and cut-short files (issue 12, items 5, 9, 10)', () => {
  const idxFile = (dir: string, name: string, content: Buffer) => {
    fs.writeFileSync(path.join(dir, name), content);
    return path.join(dir, name);
  };

  it('checks an IDX header claim against the file size (plain) and the dataset limit (gzip) before allocating', async () => {
    const dir = makeTempDir('idx-claim');
    idxFile(dir, 'train-labels-idx1-ubyte', idx('labels', Uint8Array.from([0, 1]), [2]));
    const images = idxFile(dir, 'train-images-idx3-ubyte', idx('images', bytes(2 * 4), [2 ** 31, 28, 28]));
    await expect(runImporter({ paths: [dir] }, noProgress)).rejects.toThrow(
      `${images}: size disagrees with its header: [2147483648, 28, 28] needs 1683627180048 bytes, the file has 24`,
    );
    fs.writeFileSync(images, gzipSync(idx('images', bytes(8), [2 ** 31, 28, 28])));
    await expect(runImporter({ paths: [dir] }, noProgress)).rejects.toThrow(`${images}: 1568 GiB of samples, more than the 1.98 GiB a dataset may hold`);
  });

  it('refuses images with a zero dimension, a header with no image and an empty file', async () => {
    const dir = makeTempDir('idx-zero');
    idxFile(dir, 'train-labels-idx1-ubyte', idx('labels', Uint8Array.from([0, 1]), [2]));
    const images = idxFile(dir, 'train-images-idx3-ubyte', idx('images', new Uint8Array(0), [100, 0, 8]));
    await expect(runImporter({ paths: [dir] }, noProgress)).rejects.toThrow(`${images}: the IDX header says images of 0x8 pixels; an image needs at least 1x1`);
    idxFile(dir, 'train-images-idx3-ubyte', idx('images', new Uint8Array(0), [0, 8, 8]));
    await expect(runImporter({ paths: [dir] }, noProgress)).rejects.toThrow(`${images}: the IDX header says 0 images; the file holds no sample`);
    idxFile(dir, 'train-images-idx3-ubyte', Buffer.alloc(0));
    await expect(runImporter({ paths: [dir] }, noProgress)).rejects.toThrow(`${images}: too short to be an IDX file`);
  });

  it('refuses an empty or non-regular CIFAR batch', async () => {
    const dir = makeTempDir('cifar-empty');
    const batch = path.join(dir, 'data_batch_1.bin');
    fs.writeFileSync(batch, '');
    await expect(runImporter({ paths: [dir] }, noProgress)).rejects.toThrow(`${batch} is empty: it holds no CIFAR record`);
    await expect(runImporter({ paths: ['/dev/zero'], format: 'cifar' }, noProgress)).rejects.toThrow('/dev/zero is not a regular file; CIFAR batches are counted by their size');
  });

  it('stops a CSV line at 1 MiB (/dev/zero) and refuses features that are not decimal numbers', async () => {
    await expect(runImporter({ paths: ['/dev/zero'], format: 'csv' }, noProgress)).rejects.toThrow('/dev/zero, line 1 is longer than 1 MiB, the limit for one CSV line');
    const file = path.join(makeTempDir('csv-strict'), 't.csv');
    for (const value of ['0x10', 'Infinity', '1e', '.', '--1']) {
      fs.writeFileSync(file, `x,label\n1.5e2,a\n${value},b\n`);
      await expect(runImporter({ paths: [file] }, noProgress)).rejects.toThrow(`${file}, line 3: feature 'x' is '${value}', not a decimal number`);
    }
  });

  it('refuses a cut-short PNG or JPEG naming what is missing', async () => {
    const root = makeTempDir('folder-cut');
    writePng(path.join(root, 'a', '1.png'), 4, 4, () => [9, 9, 9]);
    writePng(path.join(root, 'b', '2.png'), 4, 4, () => [50, 50, 50]);
    const png = path.join(root, 'b', '2.png');
    const whole = fs.readFileSync(png);
    fs.writeFileSync(png, whole.subarray(0, whole.length - 1));
    await expect(runImporter({ paths: [root] }, noProgress)).rejects.toThrow(`${png}: truncated PNG: chunk "IEND" at byte ${whole.length - 12} needs ${whole.length} bytes, the file has ${whole.length - 1}`);
    fs.rmSync(png);
    const jpg = path.join(root, 'b', '2.jpg');
    const encoded = jpeg.encode({ data: Buffer.alloc(8 * 8 * 4, 128), width: 8, height: 8 }, 90).data;
    fs.writeFileSync(jpg, encoded.subarray(0, encoded.length - 2));
    await expect(runImporter({ paths: [root] }, noProgress)).rejects.toThrow(`${jpg}: truncated JPEG: the file ends at byte ${encoded.length - 2} before the end-of-image marker`);
  });
});
