import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { InvalidRequestError } from '../../../shared/validation.js';

/** Lethe's data directory: the flag, else LETHE_DATA_DIR, else the XDG data home. */
export function resolveDataDir(explicit?: string): string {
  if (explicit) return path.resolve(explicit);
  if (process.env.LETHE_DATA_DIR) return path.resolve(process.env.LETHE_DATA_DIR);
  const base = process.env.XDG_DATA_HOME || path.join(os.homedir(), '.local', 'share');
  return path.join(base, 'lethe');
}

/** Creates the directory if needed and proves it is writable, with an error naming it. */
export function ensureWritableDir(dir: string): string {
  try {
    fs.mkdirSync(dir, { recursive: true });
    const probe = path.join(dir, `.write-test-${process.pid}`);
    fs.writeFileSync(probe, '');
    fs.rmSync(probe);
    return dir;
  } catch (error) {
    const reason = error instanceof Error ? error.message : String(error);
    throw new InvalidRequestError(`data directory ${dir} is not writable: ${reason}`);
  }
}
