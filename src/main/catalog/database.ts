import fs from 'node:fs';
import path from 'node:path';
import Database from 'better-sqlite3';
import { migrate } from './migrations.js';

/**
 * Opens (creating if needed) a catalog database: WAL so the app and a CLI can share it,
 * foreign keys on, a busy timeout instead of immediate SQLITE_BUSY errors, migrations
 * applied under a write lock.
 */
export function openDatabase(file: string, options: { migrateTo?: number } = {}): Database.Database {
  fs.mkdirSync(path.dirname(file), { recursive: true });
  let db: Database.Database;
  try {
    db = new Database(file, { timeout: 10_000 });
  } catch (error) {
    throw new Error(`cannot open the catalog ${file}: ${(error as Error).message}`);
  }
  try {
    db.pragma('journal_mode = WAL');
    db.pragma('foreign_keys = ON');
    db.pragma('synchronous = NORMAL');
    migrate(db, options.migrateTo);
  } catch (error) {
    db.close();
    throw new Error(`cannot use the catalog ${file}: ${(error as Error).message}`);
  }
  return db;
}
