/**
 * The wasm kernel checks again with the native kernels left out (LETHE_NATIVE=off), so
 * the kernels Lethe runs on the wasm heap itself, where the addon is not built, stay
 * checked against the cpu backend wherever the addon is.
 */
process.env.LETHE_NATIVE = 'off';
await import('./wasm-conv2d-backprop-filter.test.js');
await import('./wasm-conv2d-backprop-input.test.js');
await import('./wasm-matmul-transpose-a.test.js');
await import('./wasm-max-pool-grad.test.js');
