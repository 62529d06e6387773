/**
 * The machine's fp32 matrix-product peak: a 2048^3 sgemm through oneDNN (the native
 * addon's batchMatMul, on every core its threads use), best of `--repeats`, in GFLOP/s.
 * bench/train-step.ts divides each case's achieved GFLOP/s by this figure.
 * Run: node --import tsx bench/peak.ts [--size 2048] [--repeats 20]
 */
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { loadNativeAddon } from '../src/main/engine/kernels/native-addon.js';

/** Best GFLOP/s of a size^3 sgemm over `repeats` products, or why it cannot run. */
export function measurePeak(size = 2048, repeats = 20): { gflops: number; threads: number } | { unavailable: string } {
  const native = loadNativeAddon();
  if (!native.addon) return { unavailable: native.reason };
  const elements = size * size;
  // a, b and c side by side in one buffer, the way tensors sit in the wasm heap.
  const heap = new ArrayBuffer(3 * elements * 4);
  const values = new Float32Array(heap);
  for (let i = 0; i < 2 * elements; i += 1) values[i] = ((i * 7919) % 1000) / 1000 - 0.5;
  const product = () => native.addon.batchMatMul(heap, 1, 1, size, size, size, 0, 0, 0, elements * 4, 2 * elements * 4);
  product(); // warm-up: threads started, pages touched
  let best = Infinity;
  for (let r = 0; r < repeats; r += 1) {
    const start = performance.now();
    product();
    best = Math.min(best, performance.now() - start);
  }
  return { gflops: Math.round((2 * size ** 3) / (best / 1000) / 1e8) / 10, threads: native.addon.threads() };
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const { values } = parseArgs({ options: { size: { type: 'string' }, repeats: { type: 'string' } } });
  const size = Number(values.size ?? 2048);
  console.log(JSON.stringify({ bench: 'sgemm-peak', size, ...measurePeak(size, Number(values.repeats ?? 20)) }));
}
