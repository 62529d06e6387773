/**
 * A checkpoint's identity, readable without TensorFlow.js: the sha256 of its model.json,
 * a newline and its weights.bin. The engine names checkpoint folders by it; the service
 * verifies a checkpoint with it before recording a run on one.
 */
import { createHash } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';

export const CHECKPOINT_HASH_PATTERN = /^[0-9a-f]{64}$/;

export function checkpointContentHash(modelJson: Uint8Array, weights: Uint8Array): string {
  return createHash('sha256').update(modelJson).update('\n').update(weights).digest('hex');
}

/** The content hash of a checkpoint folder, streamed (weights can be large); fs errors pass through. */
export async function checkpointFolderHash(folder: string): Promise<string> {
  const hash = createHash('sha256');
  hash.update(await fs.promises.readFile(path.join(folder, 'model.json'))).update('\n');
  for await (const chunk of fs.createReadStream(path.join(folder, 'weights.bin'))) hash.update(chunk as Buffer);
  return hash.digest('hex');
}
