import type Database from 'better-sqlite3';
import type { ForgetSetRecord } from '../../shared/catalog-types.js';
import type { DataDirPaths } from './data-dir-paths.js';

interface ForgetSetRow {
  id: number;
  dataset_id: number;
  name: string;
  rule: string;
  seed: number | null;
  size: number;
  digest: string;
  path: string;
  created_at: number;
  deleted_at: number | null;
}

const toRecord = (r: ForgetSetRow, paths: DataDirPaths): ForgetSetRecord => ({
  id: r.id,
  datasetId: r.dataset_id,
  name: r.name,
  rule: JSON.parse(r.rule) as Record<string, unknown>,
  seed: r.seed,
  size: r.size,
  digest: r.digest,
  path: paths.toAbsolute(r.path),
  createdAt: r.created_at,
  deletedAt: r.deleted_at,
});

/** Forget sets: the rule that made them and a digest of their sorted indices (stored in a file). */
export class ForgetSetsRepository {
  constructor(
    private readonly db: Database.Database,
    private readonly paths: DataDirPaths,
  ) {}

  add(f: Omit<ForgetSetRecord, 'id' | 'createdAt' | 'deletedAt'>, now = Date.now()): ForgetSetRecord {
    this.db
      .prepare(
        `INSERT INTO forget_sets (dataset_id, name, rule, seed, size, digest, path, created_at)
         VALUES (?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT (dataset_id, digest) DO NOTHING`,
      )
      .run(f.datasetId, f.name, JSON.stringify(f.rule), f.seed, f.size, f.digest, this.paths.toStored(f.path), now);
    return toRecord(this.db.prepare('SELECT * FROM forget_sets WHERE dataset_id = ? AND digest = ?').get(f.datasetId, f.digest) as ForgetSetRow, this.paths);
  }

  list(datasetId?: number): ForgetSetRecord[] {
    const rows = (datasetId === undefined
      ? this.db.prepare('SELECT * FROM forget_sets WHERE deleted_at IS NULL ORDER BY id').all()
      : this.db.prepare('SELECT * FROM forget_sets WHERE deleted_at IS NULL AND dataset_id = ? ORDER BY id').all(datasetId)) as ForgetSetRow[];
    return rows.map((r) => toRecord(r, this.paths));
  }

  /** A forget set that has not been deleted, by id. */
  byId(id: number): ForgetSetRecord | undefined {
    const row = this.db.prepare('SELECT * FROM forget_sets WHERE id = ? AND deleted_at IS NULL').get(id) as ForgetSetRow | undefined;
    return row && toRecord(row, this.paths);
  }

  softDelete(id: number, now = Date.now()): void {
    this.db.prepare('UPDATE forget_sets SET deleted_at = ? WHERE id = ? AND deleted_at IS NULL').run(now, id);
  }
}
