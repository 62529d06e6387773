import type Database from 'better-sqlite3';

/**
 * Up to `limit` values of a unique text key of `table` that start with `prefix`: matched
 * exactly, case by case, with no wildcard (LIKE reads `%` and `_` as patterns and
 * ignores case); none for an empty prefix. The keys sharing a prefix are contiguous in
 * the key's index, so the scan starts at the prefix and stops at the first key past it.
 */
export function keysWithPrefix(db: Database.Database, table: string, key: string, prefix: string, limit = 2): string[] {
  const found: string[] = [];
  if (prefix === '') return found;
  const statement = db.prepare<[string], string>(`SELECT ${key} FROM ${table} WHERE ${key} >= ? ORDER BY ${key}`).pluck();
  for (const value of statement.iterate(prefix)) {
    if (found.length === limit || !value.startsWith(prefix)) break;
    found.push(value);
  }
  return found;
}
