import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';

/** A temporary sibling name; a crash leaves only such names behind, never a half file. */
export function temporarySibling(target: string): string {
  return path.join(path.dirname(target), `.${path.basename(target)}.tmp-${process.pid}-${randomBytes(4).toString('hex')}`);
}

/** Writes the parts to a temporary sibling, flushes, then renames over the target. */
export function writeFileAtomic(target: string, parts: Uint8Array[]): void {
  fs.mkdirSync(path.dirname(target), { recursive: true });
  const tmp = temporarySibling(target);
  const fd = fs.openSync(tmp, 'w');
  try {
    for (const part of parts) fs.writeSync(fd, part);
    fs.fsyncSync(fd);
  } catch (error) {
    fs.closeSync(fd);
    fs.rmSync(tmp, { force: true });
    throw error;
  }
  fs.closeSync(fd);
  fs.renameSync(tmp, target);
}
