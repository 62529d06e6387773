/**
 * The catalog: one SQLite database (`<data-dir>/catalog.sqlite`) behind small
 * repositories. Files (checkpoints, artifacts, forget sets) stay on disk; rows hold
 * their hash and their path, relative to the data directory when inside it. Deleting
 * is soft; `purge` removes soft-deleted runs for good with their artifacts, every
 * checkpoint no live run produced or reads, and then every file under the data
 * directory's checkpoints/ and artifacts/ folders that no row refers to.
 */
import fs from 'node:fs';
import path from 'node:path';
import type Database from 'better-sqlite3';
import type { PurgeReport } from '../../shared/catalog-types.js';
import { ArtifactsRepository } from './artifacts-repository.js';
import { CheckpointsRepository } from './checkpoints-repository.js';
import { DataDirPaths } from './data-dir-paths.js';
import { openDatabase } from './database.js';
import { DatasetsRepository } from './datasets-repository.js';
import { ForgetSetsRepository } from './forget-sets-repository.js';
import { RunsRepository } from './runs-repository.js';
import { StudiesRepository } from './studies-repository.js';

export function catalogPath(dataDir: string): string {
  return path.join(dataDir, 'catalog.sqlite');
}

/** Whether a process with this pid exists (signal 0 checks without signalling). */
export function processAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

export class Catalog {
  readonly runs: RunsRepository;
  readonly checkpoints: CheckpointsRepository;
  readonly artifacts: ArtifactsRepository;
  readonly datasets: DatasetsRepository;
  readonly forgetSets: ForgetSetsRepository;
  readonly studies: StudiesRepository;

  private readonly paths: DataDirPaths;

  private constructor(
    readonly db: Database.Database,
    readonly dataDir: string,
  ) {
    this.paths = new DataDirPaths(dataDir);
    this.runs = new RunsRepository(db);
    this.checkpoints = new CheckpointsRepository(db, this.paths);
    this.artifacts = new ArtifactsRepository(db, this.paths);
    this.datasets = new DatasetsRepository(db);
    this.forgetSets = new ForgetSetsRepository(db, this.paths);
    this.studies = new StudiesRepository(db);
  }

  static open(dataDir: string, options: { migrateTo?: number } = {}): Catalog {
    return new Catalog(openDatabase(catalogPath(dataDir), options), dataDir);
  }

  get checkpointsDir(): string {
    return path.join(this.paths.dataDir, 'checkpoints');
  }

  get artifactsDir(): string {
    return path.join(this.paths.dataDir, 'artifacts');
  }

  /**
   * A token that changes whenever anything is written to the catalog: SQLite's
   * data_version counts other connections' commits, total_changes() this connection's
   * writes. Lets readers keep what they derived from the catalog until it changes.
   */
  version(): string {
    const [other, own] = [this.db.pragma('data_version', { simple: true }), this.db.prepare('SELECT total_changes()').pluck().get()];
    return `${String(other)}:${String(own)}`;
  }

  /**
   * Removes soft-deleted runs (their metrics, params, artifact rows and checkpoint links
   * go with them), then every checkpoint that no remaining run produced or names in its
   * config (the source of an unlearning run, the model of an evaluation), then the files
   * no row refers to. Files younger than `graceMs` are kept: a job in another process may
   * have written its checkpoint and not yet recorded it.
   */
  purge(options: { graceMs?: number; now?: number } = {}): PurgeReport {
    const graceMs = options.graceMs ?? 5 * 60_000;
    const now = options.now ?? Date.now();
    const { runs, checkpoints } = this.db.transaction(() => ({
      runs: this.db.prepare('DELETE FROM runs WHERE deleted_at IS NOT NULL').run().changes,
      checkpoints: this.db
        .prepare(
          `DELETE FROM checkpoints WHERE hash NOT IN (SELECT hash FROM run_checkpoints)
           AND hash NOT IN (SELECT json_extract(config, '$.checkpoint') FROM runs WHERE json_extract(config, '$.checkpoint') IS NOT NULL)`,
        )
        .run().changes,
    })).immediate();

    const referenced = new Set<string>();
    for (const table of ['checkpoints', 'artifacts']) {
      for (const stored of this.db.prepare(`SELECT path FROM ${table}`).pluck().all() as string[]) {
        // A referenced file keeps the folders that hold it.
        for (let p = this.paths.toAbsolute(stored); !referenced.has(p) && p !== path.dirname(p); p = path.dirname(p)) referenced.add(p);
      }
    }
    const removedPaths: string[] = [];
    for (const dir of [this.checkpointsDir, this.artifactsDir]) {
      if (!fs.existsSync(dir)) continue;
      for (const name of fs.readdirSync(dir)) {
        const entry = path.resolve(dir, name);
        if (referenced.has(entry)) continue;
        const staging = /^\.staging-(\d+)-/.exec(name);
        if (staging && processAlive(Number(staging[1]))) continue;
        if (now - fs.statSync(entry).mtimeMs < graceMs) continue;
        fs.rmSync(entry, { recursive: true, force: true });
        removedPaths.push(entry);
      }
    }
    return { runs, checkpoints, removedPaths };
  }

  close(): void {
    this.db.close();
  }
}
