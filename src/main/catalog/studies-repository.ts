import type Database from 'better-sqlite3';
import type { StudyRecord } from '../../shared/catalog-types.js';

interface StudyRow {
  id: number;
  name: string;
  description: string;
  config: string | null;
  forget_set_id: number | null;
  created_at: number;
  deleted_at: number | null;
}

/** Named groups of runs compared together, with the config that defines them. */
export class StudiesRepository {
  constructor(private readonly db: Database.Database) {}

  create(name: string, description = '', now = Date.now()): StudyRecord {
    try {
      this.db.prepare('INSERT INTO studies (name, description, created_at) VALUES (?, ?, ?)').run(name, description, now);
    } catch (error) {
      if ((error as { code?: string }).code === 'SQLITE_CONSTRAINT_UNIQUE') throw new Error(`a study named '${name}' already exists`);
      throw error;
    }
    return this.byName(name)!;
  }

  /** Records the config a study was last run with and the forget set it resolved to. */
  setConfig(id: number, description: string, config: object, forgetSetId: number | null): void {
    this.db.prepare('UPDATE studies SET description = ?, config = ?, forget_set_id = ? WHERE id = ?').run(description, JSON.stringify(config), forgetSetId, id);
  }

  byName(name: string): StudyRecord | undefined {
    const row = this.db.prepare('SELECT * FROM studies WHERE name = ? AND deleted_at IS NULL').get(name) as StudyRow | undefined;
    return row && this.toRecord(row);
  }

  addRun(studyId: number, runId: string): void {
    this.db.prepare('INSERT OR IGNORE INTO study_runs (study_id, run_id) VALUES (?, ?)').run(studyId, runId);
  }

  runIds(studyId: number): string[] {
    return (this.db.prepare('SELECT run_id FROM study_runs WHERE study_id = ? ORDER BY rowid').all(studyId) as { run_id: string }[]).map((r) => r.run_id);
  }

  list(): StudyRecord[] {
    const rows = this.db.prepare('SELECT * FROM studies WHERE deleted_at IS NULL ORDER BY name').all() as StudyRow[];
    return rows.map((row) => this.toRecord(row));
  }

  softDelete(id: number, now = Date.now()): void {
    this.db.prepare('UPDATE studies SET deleted_at = ? WHERE id = ? AND deleted_at IS NULL').run(now, id);
  }

  private toRecord(row: StudyRow): StudyRecord {
    return {
      id: row.id,
      name: row.name,
      description: row.description,
      config: row.config === null ? null : (JSON.parse(row.config) as Record<string, unknown>),
      forgetSetId: row.forget_set_id,
      createdAt: row.created_at,
      deletedAt: row.deleted_at,
      runIds: this.runIds(row.id),
    };
  }
}
