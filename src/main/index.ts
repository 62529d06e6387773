/**
 * Electron bootstrap: the only module that imports 'electron'. Training never runs
 * here; the engine lives in a utilityProcess that owns TensorFlow.js.
 */
import { join } from 'node:path';
import { app, BrowserWindow, ipcMain, shell, utilityProcess } from 'electron';
import { EngineClient, type EngineTransport } from './app/engine-client.js';
import { LetheService } from './app/lethe-service.js';
import { Catalog } from './catalog/catalog.js';
import { ensureWritableDir, resolveDataDir } from './engine/data/data-dir.js';
import enginePath from './engine/engine-main.ts?modulePath';
import { bindIpc } from './ipc/bind-ipc.js';
import { electronPrinter } from './reports/electron-printer.js';
import icon from '../../resources/icon.png?asset';

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
// The same data directory and catalog as the CLI, so runs started either way show up in both.
const catalog = Catalog.open(ensureWritableDir(resolveDataDir()));
// Reports print in a hidden window of this Electron: no browser needs to be installed.
const printPdf = electronPrinter(() => new BrowserWindow({ show: false, webPreferences: { javascript: false, sandbox: true } }));
const service = new LetheService({ catalog, engine, appVersion: app.getVersion(), printPdf });

function createWindow(): void {
  const window = new BrowserWindow({
    width: 1280,
    height: 820,
    title: 'Lethe',
    icon,
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
  bindIpc(ipcMain, service, (channel, event) => {
    for (const window of BrowserWindow.getAllWindows()) window.webContents.send(channel, event);
  });
  createWindow();
  app.on('activate', () => {
    if (BrowserWindow.getAllWindows().length === 0) createWindow();
  });
});

app.on('window-all-closed', () => {
  void engine.shutdown().finally(() => {
    catalog.close();
    app.quit();
  });
});
