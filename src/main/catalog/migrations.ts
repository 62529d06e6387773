/**
 * Versioned schema migrations, applied in order at open. `PRAGMA user_version` holds the
 * version reached; an old catalog is upgraded in place, never recreated. Append new
 * migrations; never edit one that has shipped.
 */
import path from 'node:path';
import type Database from 'better-sqlite3';
import { TrainConfigSchema } from '../../shared/train-config.js';
import { UnlearnConfigSchema } from '../../shared/unlearn-config.js';
import { unlearnRunConfig } from '../engine/unlearn/run-config.js';
import { storedPath } from './data-dir-paths.js';
import { configHash } from './runs-repository.js';

export interface Migration {
  version: number;
  description: string;
  up: (db: Database.Database) => void;
}

export const MIGRATIONS: readonly Migration[] = [
  {
    version: 1,
    description: 'datasets, splits, runs, params, metrics, checkpoints, artifacts',
    up: (db) =>
      db.exec(`
        CREATE TABLE datasets (
          id INTEGER PRIMARY KEY,
          name TEXT NOT NULL,
          digest TEXT NOT NULL UNIQUE,
          source TEXT NOT NULL,
          height INTEGER NOT NULL,
          width INTEGER NOT NULL,
          channels INTEGER NOT NULL,
          class_names TEXT NOT NULL,
          sample_count INTEGER NOT NULL,
          created_at INTEGER NOT NULL
        );
        CREATE TABLE splits (
          id INTEGER PRIMARY KEY,
          dataset_id INTEGER NOT NULL REFERENCES datasets(id),
          digest TEXT NOT NULL UNIQUE,
          seed INTEGER NOT NULL,
          test_fraction REAL NOT NULL,
          held_out_fraction REAL NOT NULL,
          train_count INTEGER NOT NULL,
          held_out_count INTEGER NOT NULL,
          test_count INTEGER NOT NULL,
          created_at INTEGER NOT NULL
        );
        CREATE TABLE runs (
          id TEXT PRIMARY KEY,
          kind TEXT NOT NULL CHECK (kind IN ('train', 'retrain', 'unlearn', 'evaluate')),
          status TEXT NOT NULL CHECK (status IN ('queued', 'running', 'finished', 'failed', 'cancelled')),
          dataset TEXT,
          model TEXT,
          method TEXT,
          aggregator TEXT,
          config TEXT NOT NULL,
          config_hash TEXT NOT NULL,
          seed INTEGER,
          backend TEXT,
          device TEXT,
          app_version TEXT NOT NULL,
          owner_pid INTEGER,
          created_at INTEGER NOT NULL,
          started_at INTEGER,
          finished_at INTEGER,
          error TEXT,
          deleted_at INTEGER
        );
        CREATE INDEX runs_created ON runs(created_at);
        CREATE INDEX runs_config_hash ON runs(config_hash);
        CREATE TABLE params (
          run_id TEXT NOT NULL REFERENCES runs(id) ON DELETE CASCADE,
          key TEXT NOT NULL,
          value TEXT NOT NULL,
          PRIMARY KEY (run_id, key)
        );
        CREATE TRIGGER params_write_once BEFORE UPDATE ON params
        BEGIN
          SELECT RAISE(ABORT, 'params are write-once');
        END;
        CREATE TABLE metrics (
          run_id TEXT NOT NULL REFERENCES runs(id) ON DELETE CASCADE,
          key TEXT NOT NULL,
          value REAL NOT NULL,
          step INTEGER NOT NULL,
          time INTEGER NOT NULL
        );
        CREATE INDEX metrics_run_key_step ON metrics(run_id, key, step);
        CREATE TABLE checkpoints (
          hash TEXT PRIMARY KEY,
          path TEXT NOT NULL,
          role TEXT NOT NULL CHECK (role IN ('original', 'retrain', 'unlearned')),
          run_id TEXT REFERENCES runs(id) ON DELETE SET NULL,
          model TEXT NOT NULL,
          dataset TEXT,
          created_at INTEGER NOT NULL
        );
        CREATE TABLE artifacts (
          id INTEGER PRIMARY KEY,
          run_id TEXT NOT NULL REFERENCES runs(id) ON DELETE CASCADE,
          kind TEXT NOT NULL,
          path TEXT NOT NULL,
          hash TEXT NOT NULL,
          created_at INTEGER NOT NULL
        );
      `),
  },
  {
    version: 2,
    description: 'forget sets, studies, latest-metric cache',
    up: (db) =>
      db.exec(`
        CREATE TABLE forget_sets (
          id INTEGER PRIMARY KEY,
          dataset_id INTEGER NOT NULL REFERENCES datasets(id),
          name TEXT NOT NULL,
          rule TEXT NOT NULL,
          seed INTEGER,
          size INTEGER NOT NULL,
          digest TEXT NOT NULL,
          path TEXT NOT NULL,
          created_at INTEGER NOT NULL,
          deleted_at INTEGER,
          UNIQUE (dataset_id, digest)
        );
        CREATE TABLE studies (
          id INTEGER PRIMARY KEY,
          name TEXT NOT NULL UNIQUE,
          description TEXT NOT NULL DEFAULT '',
          created_at INTEGER NOT NULL,
          deleted_at INTEGER
        );
        CREATE TABLE study_runs (
          study_id INTEGER NOT NULL REFERENCES studies(id) ON DELETE CASCADE,
          run_id TEXT NOT NULL REFERENCES runs(id) ON DELETE CASCADE,
          PRIMARY KEY (study_id, run_id)
        );
        CREATE TABLE latest_metrics (
          run_id TEXT NOT NULL REFERENCES runs(id) ON DELETE CASCADE,
          key TEXT NOT NULL,
          value REAL NOT NULL,
          step INTEGER NOT NULL,
          time INTEGER NOT NULL,
          PRIMARY KEY (run_id, key)
        );
        INSERT INTO latest_metrics (run_id, key, value, step, time)
          SELECT m.run_id, m.key, m.value, m.step, m.time FROM metrics m
          WHERE m.rowid = (SELECT m2.rowid FROM metrics m2 WHERE m2.run_id = m.run_id AND m2.key = m.key
                           ORDER BY m2.step DESC, m2.time DESC, m2.rowid DESC LIMIT 1);
      `),
  },
  {
    version: 3,
    description: 'study config and forget set',
    up: (db) =>
      db.exec(`
        ALTER TABLE studies ADD COLUMN config TEXT;
        ALTER TABLE studies ADD COLUMN forget_set_id INTEGER REFERENCES forget_sets(id);
      `),
  },
  {
    version: 4,
    description: 'checkpoints shared by runs, paths relative to the data directory, indexed lookups',
    up: (db) => {
      // A checkpoint is its content: many runs may produce the same bytes, each linked with its role.
      db.exec(`
        ALTER TABLE checkpoints RENAME TO checkpoints_v3;
        CREATE TABLE checkpoints (
          hash TEXT PRIMARY KEY,
          path TEXT NOT NULL,
          model TEXT NOT NULL,
          dataset TEXT,
          created_at INTEGER NOT NULL
        );
        INSERT INTO checkpoints (hash, path, model, dataset, created_at) SELECT hash, path, model, dataset, created_at FROM checkpoints_v3;
        CREATE TABLE run_checkpoints (
          run_id TEXT NOT NULL REFERENCES runs(id) ON DELETE CASCADE,
          hash TEXT NOT NULL REFERENCES checkpoints(hash),
          role TEXT NOT NULL CHECK (role IN ('original', 'retrain', 'unlearned')),
          created_at INTEGER NOT NULL,
          PRIMARY KEY (run_id, hash)
        );
        CREATE INDEX run_checkpoints_hash ON run_checkpoints(hash);
        INSERT INTO run_checkpoints (run_id, hash, role, created_at) SELECT run_id, hash, role, created_at FROM checkpoints_v3 WHERE run_id IS NOT NULL;
        DROP TABLE checkpoints_v3;
        CREATE INDEX artifacts_run ON artifacts(run_id);
        CREATE INDEX datasets_name ON datasets(name);
      `);
      relativizePaths(db);
    },
  },
  {
    version: 5,
    description: 'unlearning runs record only the options of their method and aggregator',
    up: (db) => {
      // Re-recorded with today's registries on purpose: the hash must be the one a study
      // plans for the same run now, so a study run again still finds (and skips) it.
      const update = db.prepare('UPDATE runs SET config = ?, config_hash = ? WHERE id = ?');
      for (const { id, config } of db.prepare("SELECT id, config FROM runs WHERE kind IN ('unlearn', 'retrain')").all() as { id: string; config: string }[]) {
        let recorded;
        try {
          // Recorded configs carry derived keys (objectives) that user input may not: strip them.
          recorded = unlearnRunConfig(UnlearnConfigSchema.strip().parse(JSON.parse(config)));
        } catch {
          continue; // a config this version cannot read (a method since removed) keeps its record
        }
        update.run(JSON.stringify(recorded), configHash(recorded), id);
      }
    },
  },
  {
    version: 6,
    description: 'runs record which kernels ran them (wasm: native oneDNN or stock, and why)',
    up: (db) => {
      db.exec('ALTER TABLE runs ADD COLUMN kernels TEXT');
    },
  },
  {
    version: 7,
    description: 'classifier training and unlearning runs record their precision: fp32 for every run made before the choice',
    up: (db) => {
      // In the config too, with its hash re-computed (as in version 5): a study planning the
      // same fp32 run now finds it.
      const update = db.prepare('UPDATE runs SET config = ?, config_hash = ? WHERE id = ?');
      const param = db.prepare("INSERT OR IGNORE INTO params (run_id, key, value) VALUES (?, 'precision', 'fp32')");
      const runs = db.prepare("SELECT id, kind, config FROM runs WHERE kind IN ('train', 'unlearn', 'retrain')").all() as { id: string; kind: string; config: string }[];
      for (const { id, kind, config } of runs) {
        const recorded = JSON.parse(config) as Record<string, unknown>;
        // Unlearning configs carry derived keys (objectives); language models' runs parse as neither and have no precision.
        const schema = kind === 'train' ? TrainConfigSchema : UnlearnConfigSchema.strip();
        if ('precision' in recorded || !schema.safeParse(recorded).success) continue;
        recorded.precision = 'fp32';
        update.run(JSON.stringify(recorded), configHash(recorded), id);
        param.run(id);
      }
    },
  },
];

/**
 * Stores the paths of files inside the data directory relative to it. A data directory
 * copied before this upgrade still names the one it was copied from: that one is known
 * from its checkpoint rows (the engine writes `<data-dir>/checkpoints/<hash>`).
 */
function relativizePaths(db: Database.Database): void {
  const dataDirs = new Set([path.dirname(path.resolve(db.name))]);
  for (const { hash, path: folder } of db.prepare('SELECT hash, path FROM checkpoints').all() as { hash: string; path: string }[]) {
    if (path.isAbsolute(folder) && path.basename(folder) === hash && path.basename(path.dirname(folder)) === 'checkpoints') {
      dataDirs.add(path.dirname(path.dirname(folder)));
    }
  }
  const relative = (file: string) => {
    for (const dir of dataDirs) {
      const stored = storedPath(dir, file);
      if (!path.isAbsolute(stored)) return stored;
    }
    return file;
  };
  for (const [table, key] of [['checkpoints', 'hash'], ['forget_sets', 'id'], ['artifacts', 'id']] as const) {
    const update = db.prepare(`UPDATE ${table} SET path = ? WHERE ${key} = ?`);
    for (const row of db.prepare(`SELECT ${key} AS key, path FROM ${table}`).all() as { key: string | number; path: string }[]) {
      const stored = relative(row.path);
      if (stored !== row.path) update.run(stored, row.key);
    }
  }
}

export const LATEST_VERSION = MIGRATIONS[MIGRATIONS.length - 1]!.version;

/** Applies the migrations above `user_version`, each in its own immediate transaction. */
export function migrate(db: Database.Database, upTo = LATEST_VERSION): number {
  for (const migration of MIGRATIONS) {
    if (migration.version > upTo) break;
    db.transaction(() => {
      // Re-read inside the write lock: another process may have migrated meanwhile.
      const current = db.pragma('user_version', { simple: true }) as number;
      if (migration.version <= current) return;
      migration.up(db);
      db.pragma(`user_version = ${migration.version}`);
    }).immediate();
  }
  return db.pragma('user_version', { simple: true }) as number;
}
