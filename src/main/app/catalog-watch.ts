/**
 * Notices writes to the catalog by other processes (a `lethe` command next to the
 * window): SQLite's data_version changes when another connection commits. Polled
 * cheaply while someone listens, so views can refresh without a reload.
 */
import type Database from 'better-sqlite3';

export const CATALOG_POLL_MS = 1000;

/** Calls `onChange` after another connection committed; returns the stop function. */
export function watchCatalog(db: Database.Database, onChange: () => void, intervalMs = CATALOG_POLL_MS): () => void {
  let version = db.pragma('data_version', { simple: true });
  const timer = setInterval(() => {
    if (!db.open) return clearInterval(timer);
    const now = db.pragma('data_version', { simple: true });
    if (now !== version) {
      version = now;
      onChange();
    }
  }, intervalMs);
  // Never what keeps a command-line process alive.
  timer.unref();
  return () => clearInterval(timer);
}
