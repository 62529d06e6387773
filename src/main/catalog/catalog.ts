/**
 * The catalog: one SQLite database (`<data-dir>/catalog.sqlite`) behind small
 * repositories. Files (checkpoints, artifacts) stay on disk; rows hold their path and
 * hash. Deleting is soft; `purge` removes soft-deleted runs for good, with their
 * checkpoints and artifacts, and then every file under the data directory's
 * checkpoints/ and artifacts/ folders that no row refers to.
 */
import fs from 'node:fs';
import path from 'node:path';
import type Database from 'better-sqlite3';
import type { PurgeReport } from '../../shared/catalog-types.js';
import { ArtifactsRepository } from './artifacts-repository.js';
import { CheckpointsRepository } from './checkpoints-repository.js';
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

  private constructor(
    readonly db: Database.Database,
    readonly dataDir: string,
  ) {
    this.runs = new RunsRepository(db);
    this.checkpoints = new CheckpointsRepository(db);
    this.artifacts = new ArtifactsRepository(db);
    this.datasets = new DatasetsRepository(db);
    this.forgetSets = new ForgetSetsRepository(db);
    this.studies = new StudiesRepository(db);
  }

  static open(dataDir: string, options: { migrateTo?: number } = {}): Catalog {
    return new Catalog(openDatabase(catalogPath(dataDir), options), dataDir);
  }

  get checkpointsDir(): string {
    return path.join(this.dataDir, 'checkpoints');
  }

  get artifactsDir(): string {
    return path.join(this.dataDir, 'artifacts');
  }

  /**
   * Removes soft-deleted runs and what only they owned, then unreferenced files.
   * Files younger than `graceMs` are kept: a job in another process may have written
   * its checkpoint and not yet recorded it.
   */
  purge(options: { graceMs?: number; now?: number } = {}): PurgeReport {
    const graceMs = options.graceMs ?? 5 * 60_000;
    const now = options.now ?? Date.now();
    const { runs, checkpoints } = this.db.transaction(() => {
      const doomed = (this.db.prepare('SELECT id FROM runs WHERE deleted_at IS NOT NULL').all() as { id: string }[]).map((r) => r.id);
      let removedCheckpoints = 0;
      for (const id of doomed) {
        removedCheckpoints += this.db.prepare('DELETE FROM checkpoints WHERE run_id = ?').run(id).changes;
        this.db.prepare('DELETE FROM runs WHERE id = ?').run(id);
      }
      return { runs: doomed.length, checkpoints: removedCheckpoints };
    }).immediate();

    const referenced = new Set<string>([
      ...(this.db.prepare('SELECT path FROM checkpoints').all() as { path: string }[]).map((r) => path.resolve(r.path)),
      ...(this.db.prepare('SELECT path FROM artifacts').all() as { path: string }[]).map((r) => path.resolve(r.path)),
    ]);
    const removedPaths: string[] = [];
    for (const dir of [this.checkpointsDir, this.artifactsDir]) {
      if (!fs.existsSync(dir)) continue;
      for (const name of fs.readdirSync(dir)) {
        const entry = path.resolve(dir, name);
        if (referenced.has(entry) || [...referenced].some((p) => p.startsWith(entry + path.sep))) continue;
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
