/**
 * A checkpoint's content hash (the name of its folder), apart from the code that loads
 * it into tfjs, so a coordinator can verify a checkpoint a worker sent without TensorFlow.js.
 */
import { createHash } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';

export function checkpointContentHash(modelJson: Uint8Array, weights: Uint8Array): string {
  return createHash('sha256').update(modelJson).update('\n').update(weights).digest('hex');
}

export function checkpointFolderHash(folder: string): string {
  return checkpointContentHash(fs.readFileSync(path.join(folder, 'model.json')), fs.readFileSync(path.join(folder, 'weights.bin')));
}
