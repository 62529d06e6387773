/**
 * The wasm checks again with the native kernels left out (LETHE_NATIVE=off): the kernels
 * Lethe runs on the wasm heap itself, the layers composed from tfjs ops, the optimizer's
 * elementwise update and training end to end, as a machine without libdnnl-dev runs them,
 * stay checked wherever the addon is built.
 */
process.env.LETHE_NATIVE = 'off';
await import('./wasm-conv2d-backprop-filter.test.js');
await import('./wasm-conv2d-backprop-input.test.js');
await import('./wasm-matmul-transpose-a.test.js');
await import('./wasm-max-pool-grad.test.js');
await import('./optimizers.test.js');
await import('./training.test.js');

const { it, expect } = await import('vitest');
const { initBackend } = await import('../src/main/engine/backend.js');
const { hasNativeTrainingOps } = await import('../src/main/engine/kernels/native-training-ops.js');

it('runs them on the wasm backend without native kernels', async () => {
  const backend = await initBackend('wasm');
  expect(backend.kernels).toMatch(/^wasm's own, single-threaded \(native kernels unused: LETHE_NATIVE=off\)/);
  expect(hasNativeTrainingOps()).toBe(false);
});
