import path from 'node:path';

/**
 * How the catalog stores file paths: relative to the data directory when the file lies
 * inside it, so a copied or moved data directory reads its own files; absolute otherwise.
 */
export class DataDirPaths {
  readonly dataDir: string;

  constructor(dataDir: string) {
    this.dataDir = path.resolve(dataDir);
  }

  toStored(file: string): string {
    return storedPath(this.dataDir, file);
  }

  toAbsolute(stored: string): string {
    return path.resolve(this.dataDir, stored);
  }
}

/** `file` relative to `dataDir` when inside it, else absolute. */
export function storedPath(dataDir: string, file: string): string {
  const absolute = path.resolve(file);
  const relative = path.relative(dataDir, absolute);
  const outside = relative === '..' || relative.startsWith(`..${path.sep}`) || path.isAbsolute(relative);
  return outside || relative === '' ? absolute : relative;
}
