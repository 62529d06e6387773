// Exposes window.lethe, the typed LetheApi, and nothing else (never ipcRenderer itself).
import { contextBridge, ipcRenderer } from 'electron';
import { IPC_CHANNEL_PREFIX, IPC_EVENT_CHANNEL, type LetheApi, type LetheEvent } from '../shared/lethe-api.js';

const call =
  (method: string) =>
  (...args: unknown[]) =>
    ipcRenderer.invoke(IPC_CHANNEL_PREFIX + method, ...args);

const api: LetheApi = {
  engineInfo: call('engineInfo'),
  listDatasets: call('listDatasets'),
  listModels: call('listModels'),
  listRuns: call('listRuns'),
  getRun: call('getRun'),
  startTraining: call('startTraining'),
  cancelRun: call('cancelRun'),
  deleteRun: call('deleteRun'),
  onEvent: (listener) => {
    const handler = (_event: unknown, payload: LetheEvent) => listener(payload);
    ipcRenderer.on(IPC_EVENT_CHANNEL, handler);
    return () => ipcRenderer.off(IPC_EVENT_CHANNEL, handler);
  },
};

contextBridge.exposeInMainWorld('lethe', api);
