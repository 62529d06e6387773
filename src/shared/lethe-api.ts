import type { BackendInfo } from './backend.js';

/**
 * The one API the window talks to, implemented once on the main side and reached over
 * IPC in the app (window.lethe). It grows with the catalog and the service.
 */
export interface LetheApi {
  /** The compute backend and device the engine process chose. */
  engineInfo(): Promise<BackendInfo>;
}

export const LETHE_API_CHANNELS = {
  engineInfo: 'lethe:engine-info',
} as const satisfies Record<keyof LetheApi, string>;
