import type Database from 'better-sqlite3';
import type { CheckpointRecord, StoredCheckpoint } from '../../shared/catalog-types.js';
import type { DataDirPaths } from './data-dir-paths.js';
import { keysWithPrefix } from './prefix-lookup.js';

interface CheckpointRow {
  hash: string;
  path: string;
  model: string;
  dataset: string | null;
  created_at: number;
}

interface RunCheckpointRow extends CheckpointRow {
  run_id: string;
  role: CheckpointRecord['role'];
}

/**
 * Saved models by content hash (only the path and hash live here; the files stay on
 * disk). Two runs that produce the same bytes share one checkpoint: each run is linked
 * to it with its own role.
 */
export class CheckpointsRepository {
  constructor(
    private readonly db: Database.Database,
    private readonly paths: DataDirPaths,
  ) {}

  private stored(r: CheckpointRow): StoredCheckpoint {
    return { hash: r.hash, path: this.paths.toAbsolute(r.path), model: r.model, dataset: r.dataset, createdAt: r.created_at };
  }

  /** Records a run's checkpoint: the content once (its first record is kept), the run's link with its role. */
  add(checkpoint: Omit<CheckpointRecord, 'createdAt'>, now = Date.now()): CheckpointRecord {
    this.db.transaction(() => {
      this.db
        .prepare('INSERT INTO checkpoints (hash, path, model, dataset, created_at) VALUES (?, ?, ?, ?, ?) ON CONFLICT (hash) DO NOTHING')
        .run(checkpoint.hash, this.paths.toStored(checkpoint.path), checkpoint.model, checkpoint.dataset, now);
      this.db
        .prepare('INSERT INTO run_checkpoints (run_id, hash, role, created_at) VALUES (?, ?, ?, ?) ON CONFLICT (run_id, hash) DO NOTHING')
        .run(checkpoint.runId, checkpoint.hash, checkpoint.role, now);
    })();
    return this.forRun(checkpoint.runId).find((c) => c.hash === checkpoint.hash)!;
  }

  get(hash: string): StoredCheckpoint | undefined {
    const row = this.db.prepare('SELECT * FROM checkpoints WHERE hash = ?').get(hash) as CheckpointRow | undefined;
    return row && this.stored(row);
  }

  /** The checkpoints whose hash starts with `prefix` (exactly, case-sensitive), at most `limit`. */
  byHashPrefix(prefix: string, limit = 2): StoredCheckpoint[] {
    return keysWithPrefix(this.db, 'checkpoints', 'hash', prefix, limit).map((hash) => this.get(hash)!);
  }

  forRun(runId: string): CheckpointRecord[] {
    const rows = this.db
      .prepare('SELECT c.*, l.run_id, l.role FROM run_checkpoints l JOIN checkpoints c ON c.hash = l.hash WHERE l.run_id = ? ORDER BY l.created_at, l.rowid')
      .all(runId) as RunCheckpointRow[];
    return rows.map((r) => ({ ...this.stored(r), runId: r.run_id, role: r.role }));
  }
}
