/**
 * Checkpoints on disk: a content-addressed folder `<root>/<sha256>` holding model.json
 * (format, model spec, tensor manifest) and weights.bin (float32, little-endian, in
 * manifest order), plus an unhashed provenance.json. The folder is written under a
 * temporary name and renamed into place, so a crash or a cancelled job never leaves a
 * partial checkpoint; loading recomputes the hash and refuses a mismatch.
 */
import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { Classifier } from './models/classifier.js';
import type { ModelSpec } from './models/model-spec.js';
import type { StoredTensor } from './models/parameter-store.js';
import { Transformer } from './models/transformer.js';
import type { TransformerSpec } from './models/transformer-spec.js';
import { InvalidRequestError } from '../../shared/validation.js';
import { MIB, readFileBounded } from './data/bounded-read.js';
import { CHECKPOINT_HASH_PATTERN, checkpointContentHash } from './checkpoint-hash.js';

const FORMAT = 'lethe-checkpoint';
const VERSION = 1;
/** Far above ResNet-18's 45 MB; a device or a stray huge file named weights.bin is refused, not read without end. */
const MAX_WEIGHTS_BYTES = 1024 * MIB;

interface TensorEntry {
  name: string;
  shape: number[];
  trainable: boolean;
  /** Offset and length in float32 elements within weights.bin. */
  offset: number;
  length: number;
}

/** A classifier's spec, or a language model's (architecture 'transformer', tokenizer included). */
export type CheckpointSpec = ModelSpec | TransformerSpec;

/** What a checkpoint stores of a model: its spec and its named tensors. */
export interface CheckpointModel {
  readonly spec: CheckpointSpec;
  tensors(): StoredTensor[];
  dispose(): void;
}

interface Manifest {
  format: typeof FORMAT;
  version: number;
  spec: CheckpointSpec;
  tensors: TensorEntry[];
}

export interface SavedCheckpoint {
  hash: string;
  path: string;
}

export class CorruptCheckpointError extends InvalidRequestError {}

function serialize(model: CheckpointModel): { modelJson: Buffer; weights: Buffer } {
  const tensors = model.tensors();
  let offset = 0;
  const entries: TensorEntry[] = tensors.map(({ name, variable, trainable }) => {
    const entry = { name, shape: variable.shape, trainable, offset, length: variable.size };
    offset += variable.size;
    return entry;
  });
  const weights = Buffer.alloc(offset * 4);
  tensors.forEach(({ variable }, i) => {
    const values = variable.dataSync() as Float32Array;
    Buffer.from(values.buffer, values.byteOffset, values.byteLength).copy(weights, entries[i]!.offset * 4);
  });
  const manifest: Manifest = { format: FORMAT, version: VERSION, spec: model.spec, tensors: entries };
  return { modelJson: Buffer.from(JSON.stringify(manifest, null, 1), 'utf8'), weights };
}

function writeFileSynced(file: string, data: Uint8Array): void {
  const fd = fs.openSync(file, 'w');
  try {
    fs.writeSync(fd, data);
    fs.fsyncSync(fd);
  } finally {
    fs.closeSync(fd);
  }
}

function hashOfFolder(folder: string): string {
  return checkpointContentHash(fs.readFileSync(path.join(folder, 'model.json')), fs.readFileSync(path.join(folder, 'weights.bin')));
}

/** Saves the model under `root`; an identical existing checkpoint is reused. */
export function saveCheckpoint(root: string, model: CheckpointModel, provenance: Record<string, unknown> = {}): SavedCheckpoint {
  const { modelJson, weights } = serialize(model);
  const hash = checkpointContentHash(modelJson, weights);
  const target = path.join(root, hash);
  fs.mkdirSync(root, { recursive: true });
  const staging = path.join(root, `.staging-${process.pid}-${randomBytes(4).toString('hex')}`);
  fs.mkdirSync(staging);
  try {
    writeFileSynced(path.join(staging, 'model.json'), modelJson);
    writeFileSynced(path.join(staging, 'weights.bin'), weights);
    // The hash goes with the files too: a copy under another name can still be verified.
    writeFileSynced(path.join(staging, 'provenance.json'), Buffer.from(JSON.stringify({ ...provenance, hash }, null, 1), 'utf8'));
    if (fs.existsSync(target)) {
      let intact = false;
      try {
        intact = hashOfFolder(target) === hash;
      } catch {
        intact = false;
      }
      if (intact) {
        fs.rmSync(staging, { recursive: true, force: true });
        return { hash, path: target };
      }
      fs.rmSync(target, { recursive: true, force: true });
    }
    fs.renameSync(staging, target);
  } catch (error) {
    fs.rmSync(staging, { recursive: true, force: true });
    throw error;
  }
  return { hash, path: target };
}

/** A checkpoint folder from a path, a full hash or a unique hash prefix under `root`. */
export function resolveCheckpoint(root: string, reference: string): string {
  if (fs.existsSync(path.join(reference, 'model.json'))) return path.resolve(reference);
  if (/^[0-9a-f]{6,64}$/.test(reference) && fs.existsSync(root)) {
    const matches = fs.readdirSync(root).filter((name) => CHECKPOINT_HASH_PATTERN.test(name) && name.startsWith(reference));
    if (matches.length === 1) return path.join(root, matches[0]!);
    if (matches.length > 1) throw new InvalidRequestError(`checkpoint prefix ${reference} is ambiguous (${matches.length} matches)`);
  }
  throw new InvalidRequestError(`no checkpoint found at '${reference}' (give a checkpoint folder or a hash under ${root})`);
}

/** The content hash a checkpoint's provenance.json records, if it records one. */
function recordedHash(folder: string): string | undefined {
  try {
    const { hash } = JSON.parse(readFileBounded(path.join(folder, 'provenance.json'), 64 * MIB, 'a checkpoint provenance').toString('utf8')) as { hash?: unknown };
    return typeof hash === 'string' && CHECKPOINT_HASH_PATTERN.test(hash) ? hash : undefined;
  } catch {
    return undefined;
  }
}

/**
 * Loads and verifies a checkpoint folder, returning the restored model of whichever kind
 * it holds. The content hash must match the folder's name or, for a folder under another
 * name, the hash its provenance records.
 */
export function loadModel(folder: string): Classifier | Transformer {
  const name = path.basename(path.resolve(folder));
  let modelJson: Buffer;
  let weights: Buffer;
  try {
    modelJson = readFileBounded(path.join(folder, 'model.json'), 64 * MIB, 'a checkpoint manifest');
    weights = readFileBounded(path.join(folder, 'weights.bin'), MAX_WEIGHTS_BYTES, "a checkpoint's weights");
  } catch (error) {
    throw new CorruptCheckpointError(`checkpoint ${folder} cannot be read: ${(error as Error).message}`);
  }
  const hash = checkpointContentHash(modelJson, weights);
  const expected = CHECKPOINT_HASH_PATTERN.test(name) ? name : recordedHash(folder);
  if (expected === undefined) {
    throw new CorruptCheckpointError(`checkpoint ${folder} cannot be verified: its folder is not named by its content hash and its provenance.json records none`);
  }
  if (hash !== expected) {
    throw new CorruptCheckpointError(`checkpoint ${folder} is corrupt: its content hash is ${hash}, expected ${expected}`);
  }
  let manifest: Manifest;
  try {
    manifest = JSON.parse(modelJson.toString('utf8')) as Manifest;
  } catch {
    throw new CorruptCheckpointError(`checkpoint ${folder}: model.json is not valid JSON`);
  }
  if (manifest?.format !== FORMAT) throw new CorruptCheckpointError(`checkpoint ${folder}: model.json is not a Lethe checkpoint manifest (no format '${FORMAT}')`);
  if (manifest.version !== VERSION) throw new CorruptCheckpointError(`checkpoint ${folder}: unsupported version ${JSON.stringify(manifest.version)} (this Lethe reads version ${VERSION})`);
  // weights.bin must hold exactly the float32 values the manifest lists, checked before the model is built.
  const needed = Array.isArray(manifest.tensors) ? 4 * manifest.tensors.reduce((n, t) => n + (Number.isInteger(t?.length) && t.length >= 0 ? t.length : NaN), 0) : NaN;
  if (!Number.isFinite(needed)) throw new CorruptCheckpointError(`checkpoint ${folder}: model.json lists no valid tensor manifest`);
  if (weights.byteLength !== needed) {
    throw new CorruptCheckpointError(`checkpoint ${folder}: weights.bin has ${weights.byteLength} bytes, model.json's tensors need ${needed} (truncated or from another model?)`);
  }
  let model: Classifier | Transformer;
  try {
    model = manifest.spec?.architecture === 'transformer' ? Transformer.create(manifest.spec) : Classifier.create(manifest.spec);
  } catch (error) {
    throw new CorruptCheckpointError(`checkpoint ${folder}: model.json's model spec cannot be built (${(error as Error).message})`);
  }
  const byName = new Map(model.tensors().map((t) => [t.name, t.variable]));
  const floats = new Float32Array(weights.buffer.slice(weights.byteOffset, weights.byteOffset + weights.byteLength));
  try {
    if (manifest.tensors.length !== byName.size) {
      throw new CorruptCheckpointError(`checkpoint ${folder} has ${manifest.tensors.length} tensors, the model has ${byName.size}`);
    }
    for (const entry of manifest.tensors) {
      const variable = byName.get(entry.name);
      if (!variable || !tf.util.arraysEqual(variable.shape, entry.shape) || entry.offset + entry.length > floats.length) {
        throw new CorruptCheckpointError(`checkpoint ${folder}: tensor ${entry.name} does not fit the model`);
      }
      tf.tidy(() => variable.assign(tf.tensor(floats.subarray(entry.offset, entry.offset + entry.length), entry.shape, 'float32')));
    }
  } catch (error) {
    model.dispose();
    throw error;
  }
  return model;
}

/** Loads a classifier checkpoint; a language model's is refused with what it is. */
export function loadCheckpoint(folder: string): Classifier {
  return expectKind(folder, (m): m is Classifier => m instanceof Classifier, 'an image classifier', 'a language model');
}

/** Loads a language-model checkpoint; a classifier's is refused with what it is. */
export function loadLanguageModel(folder: string): Transformer {
  return expectKind(folder, (m): m is Transformer => m instanceof Transformer, 'a language model', 'an image classifier');
}

function expectKind<M extends Classifier | Transformer>(folder: string, isKind: (model: Classifier | Transformer) => model is M, wanted: string, found: string): M {
  const model = loadModel(folder);
  if (isKind(model)) return model;
  model.dispose();
  throw new InvalidRequestError(`checkpoint ${folder} holds ${found}, this needs ${wanted}`);
}
