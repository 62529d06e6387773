import { describe, expect, it } from 'vitest';
import { initBackend, parseBackendRequest, type BackendEnvironment } from '../src/main/engine/backend.js';

function environment(available: Record<string, () => void>): BackendEnvironment {
  return {
    load: (name) => {
      const loader = available[name];
      if (!loader) throw new Error(`Cannot find module '${name}'`);
      return loader();
    },
    gpuName: () => 'Test GPU',
    cpuName: () => 'CPU (test)',
  };
}

describe('backend choice', () => {
  it('falls through missing native packages to wasm and says why', async () => {
    const info = await initBackend('auto', environment({}));
    expect(info.name).toBe('wasm');
    expect(info.tfjsBackend).toBe('wasm');
    expect(info.device).toBe('CPU (test)');
    expect(info.fallbacks).toEqual([
      "@tensorflow/tfjs-node-gpu is not usable (Cannot find module '@tensorflow/tfjs-node-gpu')",
      "@tensorflow/tfjs-node is not usable (Cannot find module '@tensorflow/tfjs-node')",
    ]);
  });

  it('reports a native package that loads but cannot run', async () => {
    const info = await initBackend('auto', environment({
      '@tensorflow/tfjs-node-gpu': () => {
        throw new Error('libtensorflow.so.2: cannot open shared object file');
      },
    }));
    expect(info.fallbacks[0]).toMatch(/tfjs-node-gpu is not usable \(libtensorflow.so.2/);
    expect(info.name).toBe('wasm');
  });

  it('honours an explicit request', async () => {
    const info = await initBackend('cpu', environment({}));
    expect(info).toMatchObject({ requested: 'cpu', name: 'cpu', tfjsBackend: 'cpu', fallbacks: [] });
  });

  it('fails with every reason when the requested backend cannot start', async () => {
    await expect(initBackend('tensorflow', environment({}))).rejects.toThrow(
      /no compute backend could start: @tensorflow\/tfjs-node is not usable/,
    );
  });

  it('parses LETHE_BACKEND', () => {
    expect(parseBackendRequest(undefined)).toBe('auto');
    expect(parseBackendRequest('wasm')).toBe('wasm');
    expect(() => parseBackendRequest('cuda')).toThrow(/LETHE_BACKEND must be one of auto, tensorflow-gpu, tensorflow, wasm, cpu; got 'cuda'/);
  });
});
