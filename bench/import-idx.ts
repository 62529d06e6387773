/**
 * Import benchmark: writes 60,000 Fashion-MNIST images as IDX files (plain and gzip),
 * then imports each in a fresh engine-free process and prints one JSON line per case
 * with seconds and peak resident memory. Run: npm run bench
 */
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { gzipSync } from 'node:zlib';
import { loadBuiltinDataset } from '../src/main/engine/data/builtin-datasets.js';

const TRAIN = 60_000;

function idxFile(magic: number, dims: number[], data: Uint8Array): Buffer {
  const header = Buffer.alloc(4 + 4 * dims.length);
  header.writeUInt32BE(magic, 0);
  dims.forEach((d, i) => header.writeUInt32BE(d, 4 + 4 * i));
  return Buffer.concat([header, Buffer.from(data.buffer, data.byteOffset, data.byteLength)]);
}

if (process.argv[2] === '--import') {
  // Child: import one folder and report.
  const { runImportJob } = await import('../src/main/engine/jobs/import-job.js');
  const started = performance.now();
  const result = await runImportJob({ paths: [process.argv[3]!] }, process.argv[4]!, () => {});
  const seconds = (performance.now() - started) / 1000;
  console.log(JSON.stringify({ samples: result.dataset.sampleCount, seconds: Number(seconds.toFixed(2)), peakRssMiB: Math.round(result.peakRssBytes / 2 ** 20) }));
} else {
  const work = fs.mkdtempSync(path.join(os.tmpdir(), 'lethe-bench-import-'));
  const fashion = loadBuiltinDataset(path.join(work, 'data'), 'fashion-mnist');
  const pixels = fashion.pixels.subarray(0, TRAIN * 784) as Uint8Array;
  const labels = fashion.labels.subarray(0, TRAIN);
  for (const gzip of [false, true]) {
    const dir = path.join(work, gzip ? 'gz' : 'raw');
    fs.mkdirSync(dir);
    const write = (name: string, content: Buffer) => fs.writeFileSync(path.join(dir, name + (gzip ? '.gz' : '')), gzip ? gzipSync(content) : content);
    write('train-images-idx3-ubyte', idxFile(0x803, [TRAIN, 28, 28], pixels));
    write('train-labels-idx1-ubyte', idxFile(0x801, [TRAIN], labels));
    const line = execFileSync(process.execPath, ['--import', 'tsx', process.argv[1]!, '--import', dir, path.join(work, 'import-' + (gzip ? 'gz' : 'raw'))], { encoding: 'utf8' });
    const figures = JSON.parse(line.trim().split('\n').pop()!) as Record<string, number>;
    console.log(JSON.stringify({ case: `import IDX ${gzip ? 'gzip' : 'plain'}`, ...figures, datasetMiB: Math.round(pixels.length / 2 ** 20) }));
  }
  fs.rmSync(work, { recursive: true, force: true });
}
