/**
 * Electron bootstrap: the only module that imports 'electron'. Training never runs
 * here; the engine lives in a utilityProcess that owns TensorFlow.js.
 */
import { join } from 'node:path';
import { app, BrowserWindow, ipcMain, shell, utilityProcess } from 'electron';
import { LETHE_API_CHANNELS } from '../shared/lethe-api.js';
import { EngineClient, type EngineTransport } from './app/engine-client.js';
import enginePath from './engine/engine-main.ts?modulePath';

function utilityProcessTransport(): EngineTransport {
  const child = utilityProcess.fork(enginePath, [], { serviceName: 'Lethe engine', stdio: 'inherit' });
  return {
    send: (request) => child.postMessage(request),
    onMessage: (handler) => child.on('message', handler),
    onExit: (handler) => child.on('exit', (code) => handler(code, null)),
    kill: () => child.kill(),
    get pid() {
      return child.pid;
    },
  };
}

const engine = new EngineClient(utilityProcessTransport);

function createWindow(): void {
  const window = new BrowserWindow({
    width: 1280,
    height: 820,
    title: 'Lethe',
    webPreferences: {
      preload: join(__dirname, '../preload/index.cjs'),
      contextIsolation: true,
      nodeIntegration: false,
      sandbox: true,
    },
  });
  window.webContents.on('will-navigate', (event) => event.preventDefault());
  window.webContents.setWindowOpenHandler(({ url }) => {
    if (url.startsWith('https://')) void shell.openExternal(url);
    return { action: 'deny' };
  });
  if (process.env.ELECTRON_RENDERER_URL) void window.loadURL(process.env.ELECTRON_RENDERER_URL);
  else void window.loadFile(join(__dirname, '../renderer/index.html'));
}

void app.whenReady().then(() => {
  ipcMain.handle(LETHE_API_CHANNELS.engineInfo, () => engine.ready());
  createWindow();
  app.on('activate', () => {
    if (BrowserWindow.getAllWindows().length === 0) createWindow();
  });
});

app.on('window-all-closed', () => {
  void engine.shutdown().finally(() => app.quit());
});
