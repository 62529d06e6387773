/**
 * Files dropped on the window as the service takes them, by absolute path: the preload's
 * pathForFile in the desktop app; in a browser, which cannot give a path, each file is
 * uploaded to the bridge's staging folder in the data directory and its staged path used.
 */
import type { DroppedEntry } from '../../../shared/dropped-files';

export interface DroppedFile {
  entry: DroppedEntry;
  /** The File itself (absent for a folder in a browser). */
  file: File;
}

/** Names, folder flags and a CSV's first line: what classifyDrop needs. */
export async function readDrop(transfer: DataTransfer): Promise<DroppedFile[]> {
  const items = [...transfer.items].filter((item) => item.kind === 'file');
  return Promise.all(
    items.map(async (item) => {
      const file = item.getAsFile()!;
      const isDirectory = item.webkitGetAsEntry()?.isDirectory ?? false;
      const firstLine = !isDirectory && /\.csv$/i.test(file.name) ? (await file.slice(0, 4096).text()).split(/\r?\n/)[0] : undefined;
      return { entry: { name: file.name, isDirectory, firstLine }, file };
    }),
  );
}

async function stage(batch: string, file: File): Promise<string> {
  const response = await fetch(`/api/staging/${batch}/${encodeURIComponent(file.name)}`, {
    method: 'PUT',
    headers: { 'content-type': 'application/octet-stream' },
    credentials: 'same-origin',
    body: file,
  });
  const body = (await response.json()) as { path?: string; error?: string };
  if (!response.ok || !body.path) throw new Error(body.error ?? `uploading ${file.name} failed with HTTP ${response.status}`);
  return body.path;
}

/** Absolute paths of the dropped files for importDataset / createForgetSet. */
export async function pathsOf(files: readonly DroppedFile[]): Promise<string[]> {
  const desktop = window.lethe;
  if (desktop) return files.map((f) => desktop.pathForFile(f.file));
  const folder = files.find((f) => f.entry.isDirectory);
  if (folder) throw new Error(`${folder.entry.name}: a browser cannot upload a folder; drop its files, or use the desktop app`);
  const batch = crypto.randomUUID();
  const paths: string[] = [];
  for (const f of files) paths.push(await stage(batch, f.file));
  return paths;
}

/** The service names the files it read (staged copies in a browser): say the names the user dropped instead. */
export function withDroppedNames(message: string, paths: readonly string[], files: readonly DroppedFile[]): string {
  return paths.reduce((m, p, i) => m.replaceAll(p, files[i]?.entry.name ?? p), message);
}

/** A dropped image as a data: URL, to show it next to the report. */
export function imageUrlOf(file: File): Promise<string> {
  return new Promise((resolve, reject) => {
    const reader = new FileReader();
    reader.onload = () => resolve(String(reader.result));
    reader.onerror = () => reject(reader.error ?? new Error(`could not read ${file.name}`));
    reader.readAsDataURL(file);
  });
}

/** Where a sample's thumbnail comes from: the bridge serves it as an image, the desktop app's API as data. */
export async function thumbnailSource(dataset: string, index: number): Promise<string> {
  const desktop = window.lethe;
  if (!desktop) return `/api/thumbnails/${encodeURIComponent(dataset)}/${index}.png`;
  const image = await desktop.getSampleImage({ dataset, index });
  return `data:image/png;base64,${image.pngBase64}`;
}
