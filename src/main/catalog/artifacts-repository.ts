import type Database from 'better-sqlite3';
import type { ArtifactRecord } from '../../shared/catalog-types.js';
import type { DataDirPaths } from './data-dir-paths.js';

interface ArtifactRow {
  id: number;
  run_id: string;
  kind: string;
  path: string;
  hash: string;
  created_at: number;
}

/** Files a run produced (per-sample scores, reports): path and hash only. */
export class ArtifactsRepository {
  constructor(
    private readonly db: Database.Database,
    private readonly paths: DataDirPaths,
  ) {}

  add(artifact: Omit<ArtifactRecord, 'id' | 'createdAt'>, now = Date.now()): ArtifactRecord {
    const stored = this.paths.toStored(artifact.path);
    const { lastInsertRowid } = this.db
      .prepare('INSERT INTO artifacts (run_id, kind, path, hash, created_at) VALUES (?, ?, ?, ?, ?)')
      .run(artifact.runId, artifact.kind, stored, artifact.hash, now);
    return { ...artifact, path: this.paths.toAbsolute(stored), id: Number(lastInsertRowid), createdAt: now };
  }

  forRun(runId: string): ArtifactRecord[] {
    const rows = this.db.prepare('SELECT * FROM artifacts WHERE run_id = ? ORDER BY id').all(runId) as ArtifactRow[];
    return rows.map((r) => ({ id: r.id, runId: r.run_id, kind: r.kind, path: this.paths.toAbsolute(r.path), hash: r.hash, createdAt: r.created_at }));
  }
}
