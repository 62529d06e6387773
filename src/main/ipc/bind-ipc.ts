/**
 * The Electron door: one ipcMain handler per LetheApi method, each payload validated
 * before it reaches the service, and service events pushed to the window. Takes the
 * ipcMain-like object as a parameter so it is testable without Electron.
 */
import { IPC_CHANNEL_PREFIX, IPC_EVENT_CHANNEL, LETHE_METHODS, type WindowEvent } from '../../shared/lethe-api.js';
import { dispatch } from '../app/dispatch.js';
import type { LetheService } from '../app/lethe-service.js';

export interface IpcMainLike {
  handle(channel: string, listener: (event: unknown, ...args: unknown[]) => unknown): void;
}

export function bindIpc(ipcMain: IpcMainLike, service: LetheService, send: (channel: string, event: WindowEvent) => void): () => void {
  for (const method of LETHE_METHODS) {
    ipcMain.handle(IPC_CHANNEL_PREFIX + method, (_event, ...args) => dispatch(service, method, args));
  }
  const stopEvents = service.subscribe((event) => send(IPC_EVENT_CHANNEL, event));
  const stopCatalog = service.onCatalogChanged(() => send(IPC_EVENT_CHANNEL, { type: 'catalog-changed' }));
  return () => {
    stopEvents();
    stopCatalog();
  };
}
