/**
 * The files of a data directory that travel between a coordinator and its workers, each
 * named by its path under the data directory and verified by its sha256: what a queued
 * job reads (its dataset, splits, checkpoints, forget set) and what it makes (a
 * checkpoint folder, a score file). Uploads land under `incoming/<upload>/` and only the
 * coordinator moves them into place, once every hash has been checked again.
 */
import { createHash } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import type { EngineJob, EngineJobResult } from '../../shared/engine-protocol.js';
import { InvalidRequestError } from '../../shared/validation.js';
import { checkpointFolderHash } from '../engine/checkpoint-hash.js';

export interface ArtifactRef {
  /** Under the data directory, with forward slashes. */
  path: string;
  sha256: string;
  size: number;
}

/** The top-level folders whose files may be fetched or uploaded; never the catalog. */
const SHARED_FOLDERS = ['datasets', 'splits', 'forget-sets', 'checkpoints', 'artifacts'];
const UPLOAD_ID = /^[A-Za-z0-9_-]{1,100}$/;

/** The file a shared path names inside the data directory; anything else is refused. */
export function sharedFile(dataDir: string, relative: string): string {
  const parts = relative.split('/');
  const wellFormed = parts.length >= 2 && parts.every((p) => p !== '' && p !== '.' && p !== '..' && !p.startsWith('.') && !p.includes('\\'));
  if (!wellFormed || !SHARED_FOLDERS.includes(parts[0]!)) {
    throw new InvalidRequestError(`artifact path '${relative}' is not a file under ${SHARED_FOLDERS.join(', ')}`);
  }
  return path.join(dataDir, ...parts);
}

export function uploadFolder(dataDir: string, uploadId: string): string {
  if (!UPLOAD_ID.test(uploadId)) throw new InvalidRequestError(`upload id '${uploadId}' must be 1-100 letters, digits, '-' or '_'`);
  return path.join(dataDir, 'incoming', uploadId);
}

export function relativePath(dataDir: string, file: string): string {
  const relative = path.relative(dataDir, file);
  if (relative.startsWith('..') || path.isAbsolute(relative)) throw new Error(`${file} is not inside the data directory ${dataDir}`);
  return relative.split(path.sep).join('/');
}

export function sha256OfFile(file: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const hash = createHash('sha256');
    fs.createReadStream(file)
      .on('data', (chunk) => hash.update(chunk))
      .on('end', () => resolve(hash.digest('hex')))
      .on('error', reject);
  });
}

/** Hashes per file, kept while its size and modification time stay the same (a dataset is tens of MB). */
const knownHashes = new Map<string, { mtimeMs: number; size: number; sha256: string }>();

export async function describeFile(dataDir: string, file: string): Promise<ArtifactRef> {
  const stat = fs.statSync(file);
  const known = knownHashes.get(file);
  const sha256 = known && known.mtimeMs === stat.mtimeMs && known.size === stat.size ? known.sha256 : await sha256OfFile(file);
  knownHashes.set(file, { mtimeMs: stat.mtimeMs, size: stat.size, sha256 });
  return { path: relativePath(dataDir, file), sha256, size: stat.size };
}

function filesIn(folder: string): string[] {
  return fs.readdirSync(folder).filter((name) => !name.startsWith('.')).map((name) => path.join(folder, name));
}

/** A checkpoint folder given as itself, or by full hash or unique prefix (the engine's rule, without loading tfjs). */
function checkpointFolder(dataDir: string, reference: string): string {
  if (path.isAbsolute(reference) && fs.existsSync(path.join(reference, 'model.json'))) return reference;
  const root = path.join(dataDir, 'checkpoints');
  const matches = fs.existsSync(root) ? fs.readdirSync(root).filter((name) => /^[0-9a-f]{64}$/.test(name) && name.startsWith(reference)) : [];
  if (matches.length !== 1) throw new InvalidRequestError(`checkpoint '${reference}' is ${matches.length ? 'ambiguous' : 'not'} in ${root}`);
  return path.join(root, matches[0]!);
}

/** The dataset's cache and its stored splits, where the coordinator has them (a worker can make them too). */
function datasetFiles(dataDir: string, name: string): string[] {
  const cache = path.join(dataDir, 'datasets', `${name}.bin`);
  const splits = path.join(dataDir, 'splits');
  const splitFiles = fs.existsSync(splits) ? filesIn(splits).filter((file) => path.basename(file).startsWith(`${name}-`)) : [];
  return [...(fs.existsSync(cache) ? [cache] : []), ...splitFiles];
}

/** A checkpoint's files, those of the checkpoint it was unlearned from, and its dataset's. */
function checkpointFiles(dataDir: string, reference: string): string[] {
  const folder = checkpointFolder(dataDir, reference);
  const provenance = JSON.parse(fs.readFileSync(path.join(folder, 'provenance.json'), 'utf8')) as { dataset?: { name?: string }; from?: string };
  const from = provenance.from ? filesIn(checkpointFolder(dataDir, provenance.from)) : [];
  return [...filesIn(folder), ...from, ...(provenance.dataset?.name ? datasetFiles(dataDir, provenance.dataset.name) : [])];
}

/** The job with its checkpoint named by its folder, so that it can travel as a path under the data directory. */
export function withCheckpointFolder<J extends EngineJob>(job: J): J {
  if (job.kind === 'unlearn') return { ...job, config: { ...job.config, checkpoint: checkpointFolder(job.dataDir, job.config.checkpoint) } };
  if (job.kind === 'evaluate') return { ...job, checkpoint: checkpointFolder(job.dataDir, job.checkpoint) };
  return job;
}

/** Every file of the coordinator's data directory that a job reads. */
export function jobInputs(job: EngineJob): string[] {
  switch (job.kind) {
    case 'train':
      return datasetFiles(job.dataDir, job.config.dataset);
    case 'unlearn':
      return [...checkpointFiles(job.dataDir, job.config.checkpoint), job.forgetSet.path];
    case 'evaluate':
      return [...checkpointFiles(job.dataDir, job.checkpoint), ...(job.forget ? [job.forget.path] : [])];
    default:
      throw new Error(`${job.kind} jobs run where the catalog is`);
  }
}

/** The files a job made: the new checkpoint folder, or the evaluation's score file. */
export function resultOutputs(result: EngineJobResult): string[] {
  switch (result.kind) {
    case 'train':
    case 'unlearn':
      return filesIn(result.checkpoint.path);
    case 'evaluate':
      return result.scores ? [result.scores.path] : [];
    default:
      return [];
  }
}

/** What a job may make: a checkpoint folder's files, a score file. Nothing else is ever moved into place. */
const OUTPUT_PATHS = [/^checkpoints\/[0-9a-f]{64}\/(model\.json|weights\.bin|provenance\.json)$/, /^artifacts\/scores\/[^/]+\.scores$/];

/** Whether the file is there with this content. */
async function inPlace(file: string, sha256: string): Promise<boolean> {
  return fs.existsSync(file) && (await sha256OfFile(file)) === sha256;
}

async function intactCheckpoint(folder: string): Promise<boolean> {
  try {
    return (await checkpointFolderHash(folder)) === path.basename(folder);
  } catch {
    return false;
  }
}

/**
 * Moves an upload's files into place after checking each against its hash, and each
 * checkpoint folder against its content hash. What is already in place (an intact
 * checkpoint, a file with the same hash) is kept: a coordinator restarted after a job
 * finished commits its outcome again. Throws, leaving the data directory as it was, on
 * any mismatch or missing file.
 */
export async function commitUpload(dataDir: string, uploadId: string, outputs: ArtifactRef[]): Promise<void> {
  const incoming = uploadFolder(dataDir, uploadId);
  const foreign = outputs.find((ref) => !OUTPUT_PATHS.some((pattern) => pattern.test(ref.path)));
  if (foreign) throw new Error(`a job's output cannot be ${foreign.path}: only checkpoint files and score files are accepted`);
  const folderOf = (ref: ArtifactRef) => (ref.path.startsWith('checkpoints/') ? ref.path.split('/').slice(0, 2).join('/') : undefined);
  const checkpoints: string[] = [];
  for (const folder of new Set(outputs.map(folderOf).filter((f) => f !== undefined))) {
    if (!(await intactCheckpoint(path.join(dataDir, folder)))) checkpoints.push(folder);
  }
  const files: ArtifactRef[] = [];
  for (const ref of outputs) {
    const folder = folderOf(ref);
    if (folder === undefined ? await inPlace(sharedFile(dataDir, ref.path), ref.sha256) : !checkpoints.includes(folder)) continue;
    if (!(await inPlace(sharedFile(incoming, ref.path), ref.sha256))) throw new Error(`the upload of ${ref.path} is missing or does not have the sha256 the worker sent (${ref.sha256})`);
    if (folder === undefined) files.push(ref);
  }
  for (const folder of checkpoints) {
    const actual = await checkpointFolderHash(path.join(incoming, folder));
    if (actual !== path.basename(folder)) throw new Error(`uploaded checkpoint ${path.basename(folder)} has content hash ${actual}`);
  }
  // Checkpoint folders move whole (one rename), other files one by one.
  for (const folder of checkpoints) {
    const target = path.join(dataDir, folder);
    fs.rmSync(target, { recursive: true, force: true });
    fs.mkdirSync(path.dirname(target), { recursive: true });
    fs.renameSync(path.join(incoming, folder), target);
  }
  for (const ref of files) {
    const target = sharedFile(dataDir, ref.path);
    fs.mkdirSync(path.dirname(target), { recursive: true });
    fs.renameSync(sharedFile(incoming, ref.path), target);
  }
  fs.rmSync(incoming, { recursive: true, force: true });
}

/**
 * Checks that the files a job's result names (relative paths) are in the data
 * directory with their hashes: the new checkpoint folder, or the score file.
 */
export async function checkResultFiles(dataDir: string, result: EngineJobResult): Promise<void> {
  if (result.kind === 'train' || result.kind === 'unlearn') {
    const { hash, path: folder } = result.checkpoint;
    if (folder !== `checkpoints/${hash}` || !(await intactCheckpoint(path.join(dataDir, folder)))) throw new Error(`the job's checkpoint ${hash} is not in ${dataDir} with that content hash`);
  }
  if (result.kind === 'evaluate' && result.scores) {
    const { hash, path: file } = result.scores;
    if (!(await inPlace(sharedFile(dataDir, file), hash))) throw new Error(`the job's score file ${file} is not in ${dataDir} with sha256 ${hash}`);
  }
}
