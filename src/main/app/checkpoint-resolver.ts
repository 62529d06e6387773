/**
 * The checkpoint a request names, resolved and verified before any run is recorded on
 * it: a full hash or unique hash prefix of a checkpoint in the catalog, or a folder
 * anywhere whose content is one. The content hash is recomputed from the files, so a
 * corrupt or altered checkpoint is refused wherever it lives. Runs record the hash,
 * never the name they were given.
 */
import fs from 'node:fs';
import path from 'node:path';
import type { StoredCheckpoint } from '../../shared/catalog-types.js';
import { InvalidRequestError } from '../../shared/validation.js';
import type { Catalog } from '../catalog/catalog.js';
import { CHECKPOINT_HASH_PATTERN, checkpointFolderHash } from '../engine/checkpoint-hash.js';

async function contentHash(folder: string, what: string): Promise<string> {
  try {
    return await checkpointFolderHash(folder);
  } catch (error) {
    throw new InvalidRequestError(`${what} cannot be read: ${(error as Error).message}`);
  }
}

/** Checks that a recorded checkpoint's files still hold its content. */
async function verified(checkpoint: StoredCheckpoint): Promise<StoredCheckpoint> {
  const hash = await contentHash(checkpoint.path, `checkpoint ${checkpoint.hash} (${checkpoint.path})`);
  if (hash !== checkpoint.hash) {
    throw new InvalidRequestError(`checkpoint ${checkpoint.path} is corrupt: its content hash is ${hash}, the catalog records ${checkpoint.hash}`);
  }
  return checkpoint;
}

export async function resolveCheckpoint(catalog: Catalog, reference: string): Promise<StoredCheckpoint> {
  if (fs.existsSync(path.join(reference, 'model.json'))) {
    const folder = path.resolve(reference);
    const hash = await contentHash(folder, `checkpoint folder ${folder}`);
    const recorded = catalog.checkpoints.get(hash);
    if (recorded) return recorded.path === folder ? recorded : verified(recorded);
    const named = path.basename(folder);
    if (CHECKPOINT_HASH_PATTERN.test(named)) {
      throw new InvalidRequestError(`checkpoint folder ${folder} is corrupt: its content hash is ${hash}, its name says ${named}`);
    }
    throw new InvalidRequestError(
      `checkpoint folder ${folder} holds no checkpoint of this catalog (its content hash ${hash.slice(0, 12)} matches none): ` +
        'it was altered, or it comes from another data directory',
    );
  }
  const matches = catalog.checkpoints.byHashPrefix(reference, 2);
  if (matches.length > 1) throw new InvalidRequestError(`checkpoint prefix '${reference}' is ambiguous: give more of the hash`);
  if (matches.length === 0) throw new InvalidRequestError(`no checkpoint '${reference}': give a checkpoint hash, a unique hash prefix or a checkpoint folder`);
  return verified(matches[0]!);
}
