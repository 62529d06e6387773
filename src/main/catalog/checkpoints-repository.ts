import type Database from 'better-sqlite3';
import type { CheckpointRecord, CheckpointRole } from '../../shared/catalog-types.js';

interface CheckpointRow {
  hash: string;
  path: string;
  role: CheckpointRole;
  run_id: string | null;
  model: string;
  dataset: string | null;
  created_at: number;
}

const toRecord = (r: CheckpointRow): CheckpointRecord => ({
  hash: r.hash,
  path: r.path,
  role: r.role,
  runId: r.run_id,
  model: r.model,
  dataset: r.dataset,
  createdAt: r.created_at,
});

/** Saved models: only the path and content hash live here; the files stay on disk. */
export class CheckpointsRepository {
  constructor(private readonly db: Database.Database) {}

  /** Records a checkpoint; the same content saved again keeps its first record. */
  add(checkpoint: Omit<CheckpointRecord, 'createdAt'>, now = Date.now()): CheckpointRecord {
    this.db
      .prepare(
        `INSERT INTO checkpoints (hash, path, role, run_id, model, dataset, created_at) VALUES (?, ?, ?, ?, ?, ?, ?)
         ON CONFLICT (hash) DO NOTHING`,
      )
      .run(checkpoint.hash, checkpoint.path, checkpoint.role, checkpoint.runId, checkpoint.model, checkpoint.dataset, now);
    return this.get(checkpoint.hash)!;
  }

  get(hash: string): CheckpointRecord | undefined {
    const row = this.db.prepare('SELECT * FROM checkpoints WHERE hash = ?').get(hash) as CheckpointRow | undefined;
    return row && toRecord(row);
  }

  forRun(runId: string): CheckpointRecord[] {
    return (this.db.prepare('SELECT * FROM checkpoints WHERE run_id = ? ORDER BY created_at').all(runId) as CheckpointRow[]).map(toRecord);
  }

  list(): CheckpointRecord[] {
    return (this.db.prepare('SELECT * FROM checkpoints ORDER BY created_at DESC').all() as CheckpointRow[]).map(toRecord);
  }
}
