// Exposes window.lethe, the typed LetheApi, and nothing else (never ipcRenderer itself).
import { contextBridge, ipcRenderer, webUtils } from 'electron';
import { IPC_CHANNEL_PREFIX, IPC_EVENT_CHANNEL, LETHE_METHODS, type DesktopLetheApi, type WindowEvent } from '../shared/lethe-api.js';

const api = {
  ...Object.fromEntries(
    LETHE_METHODS.map((method) => [method, (...args: unknown[]) => ipcRenderer.invoke(IPC_CHANNEL_PREFIX + method, ...args)]),
  ),
  pathForFile: (file: File) => webUtils.getPathForFile(file),
  onEvent: (listener: (event: WindowEvent) => void) => {
    const handler = (_event: unknown, payload: WindowEvent) => listener(payload);
    ipcRenderer.on(IPC_EVENT_CHANNEL, handler);
    return () => {
      ipcRenderer.off(IPC_EVENT_CHANNEL, handler);
    };
  },
} as DesktopLetheApi;

contextBridge.exposeInMainWorld('lethe', api);
