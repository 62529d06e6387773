// Exposes window.lethe, the typed LetheApi, and nothing else (no ipcRenderer).
import { contextBridge, ipcRenderer } from 'electron';
import { LETHE_API_CHANNELS, type LetheApi } from '../shared/lethe-api.js';

const api: LetheApi = {
  engineInfo: () => ipcRenderer.invoke(LETHE_API_CHANNELS.engineInfo),
};

contextBridge.exposeInMainWorld('lethe', api);
