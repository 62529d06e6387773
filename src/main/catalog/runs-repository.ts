import { createHash } from 'node:crypto';
import type Database from 'better-sqlite3';
import type { RunKind, RunRecord, RunStatus, MetricPoint } from '../../shared/catalog-types.js';
import { keysWithPrefix } from './prefix-lookup.js';

interface RunRow {
  id: string;
  kind: RunKind;
  status: RunStatus;
  dataset: string | null;
  model: string | null;
  method: string | null;
  aggregator: string | null;
  config: string;
  config_hash: string;
  seed: number | null;
  backend: string | null;
  device: string | null;
  kernels: string | null;
  app_version: string;
  owner_pid: number | null;
  created_at: number;
  started_at: number | null;
  finished_at: number | null;
  error: string | null;
  deleted_at: number | null;
}

function toRecord(row: RunRow): RunRecord {
  return {
    id: row.id,
    kind: row.kind,
    status: row.status,
    dataset: row.dataset,
    model: row.model,
    method: row.method,
    aggregator: row.aggregator,
    config: JSON.parse(row.config) as Record<string, unknown>,
    configHash: row.config_hash,
    seed: row.seed,
    backend: row.backend,
    device: row.device,
    kernels: row.kernels,
    appVersion: row.app_version,
    ownerPid: row.owner_pid,
    createdAt: row.created_at,
    startedAt: row.started_at,
    finishedAt: row.finished_at,
    error: row.error,
    deletedAt: row.deleted_at,
  };
}

/** A stable hash of a config: keys sorted at every level. */
export function configHash(config: unknown): string {
  const canonical = (value: unknown): unknown => {
    if (Array.isArray(value)) return value.map(canonical);
    if (value && typeof value === 'object') {
      return Object.fromEntries(Object.keys(value).sort().map((k) => [k, canonical((value as Record<string, unknown>)[k])]));
    }
    return value;
  };
  return createHash('sha256').update(JSON.stringify(canonical(config))).digest('hex');
}

export interface NewRun {
  id: string;
  kind: RunKind;
  dataset?: string;
  model?: string;
  method?: string;
  aggregator?: string;
  config: Record<string, unknown>;
  seed?: number;
  appVersion: string;
  ownerPid: number;
}

const TERMINAL: readonly RunStatus[] = ['finished', 'failed', 'cancelled'];

/** Runs with their lifecycle (queued -> running -> finished | failed | cancelled), params and metrics. */
export class RunsRepository {
  constructor(private readonly db: Database.Database) {}

  create(run: NewRun, now = Date.now()): RunRecord {
    this.db
      .prepare(
        `INSERT INTO runs (id, kind, status, dataset, model, method, aggregator, config, config_hash, seed, app_version, owner_pid, created_at)
         VALUES (@id, @kind, 'queued', @dataset, @model, @method, @aggregator, @config, @configHash, @seed, @appVersion, @ownerPid, @now)`,
      )
      .run({
        id: run.id,
        kind: run.kind,
        dataset: run.dataset ?? null,
        model: run.model ?? null,
        method: run.method ?? null,
        aggregator: run.aggregator ?? null,
        config: JSON.stringify(run.config),
        configHash: configHash(run.config),
        seed: run.seed ?? null,
        appVersion: run.appVersion,
        ownerPid: run.ownerPid,
        now,
      });
    return this.get(run.id)!;
  }

  get(id: string): RunRecord | undefined {
    const row = this.db.prepare('SELECT * FROM runs WHERE id = ?').get(id) as RunRow | undefined;
    return row && toRecord(row);
  }

  /** A run by full id or unique id prefix (matched exactly: case-sensitive, no wildcards). */
  find(reference: string): RunRecord {
    const exact = this.get(reference);
    if (exact) return exact;
    const matches = keysWithPrefix(this.db, 'runs', 'id', reference);
    if (matches.length === 0) throw new Error(`no run with id '${reference}'`);
    if (matches.length > 1) throw new Error(`run id prefix '${reference}' is ambiguous`);
    return this.get(matches[0]!)!;
  }

  list(options: { includeDeleted?: boolean } = {}): RunRecord[] {
    const where = options.includeDeleted ? '' : 'WHERE deleted_at IS NULL';
    return (this.db.prepare(`SELECT * FROM runs ${where} ORDER BY created_at DESC, rowid DESC`).all() as RunRow[]).map(toRecord);
  }

  /** The most recent finished, undeleted run of a kind with this config hash: what a study skips. */
  latestFinished(kind: RunKind, hash: string): RunRecord | undefined {
    const row = this.db
      .prepare(`SELECT * FROM runs WHERE kind = ? AND config_hash = ? AND status = 'finished' AND deleted_at IS NULL ORDER BY finished_at DESC, rowid DESC LIMIT 1`)
      .get(kind, hash) as RunRow | undefined;
    return row && toRecord(row);
  }

  /** Finished, undeleted evaluations of a checkpoint, newest first. */
  evaluationsOf(checkpointHash: string): RunRecord[] {
    const rows = this.db
      .prepare(`SELECT * FROM runs WHERE kind = 'evaluate' AND status = 'finished' AND deleted_at IS NULL AND json_extract(config, '$.checkpoint') = ? ORDER BY finished_at DESC, rowid DESC`)
      .all(checkpointHash) as RunRow[];
    return rows.map(toRecord);
  }

  markRunning(id: string, backend: { name: string; device: string; kernels?: string }, now = Date.now()): void {
    this.db
      .prepare(`UPDATE runs SET status = 'running', started_at = ?, backend = ?, device = ?, kernels = ? WHERE id = ? AND status = 'queued'`)
      .run(now, backend.name, backend.device, backend.kernels ?? null, id);
  }

  /** Ends a run; a run that already ended keeps its first outcome. */
  finish(id: string, status: 'finished' | 'failed' | 'cancelled', error: string | null = null, now = Date.now()): void {
    this.db
      .prepare(`UPDATE runs SET status = ?, error = ?, finished_at = ? WHERE id = ? AND status NOT IN (${TERMINAL.map(() => '?').join(',')})`)
      .run(status, error, now, id, ...TERMINAL);
  }

  /** Removes a run that never ran because its input was refused (params and metrics cascade). */
  discard(id: string): void {
    this.db.prepare(`DELETE FROM runs WHERE id = ? AND status IN ('queued', 'running')`).run(id);
  }

  /** Runs still marked active whose owning process is gone: they can never finish. */
  failOrphaned(isAlive: (pid: number) => boolean, now = Date.now()): string[] {
    const active = this.db.prepare(`SELECT id, owner_pid FROM runs WHERE status IN ('queued', 'running')`).all() as { id: string; owner_pid: number | null }[];
    const orphaned = active.filter((r) => r.owner_pid === null || !isAlive(r.owner_pid)).map((r) => r.id);
    for (const id of orphaned) this.finish(id, 'failed', 'interrupted: the process that ran it stopped before it ended', now);
    return orphaned;
  }

  softDelete(id: string, now = Date.now()): void {
    const run = this.get(id);
    if (!run) throw new Error(`no run with id '${id}'`);
    if (run.status === 'queued' || run.status === 'running') throw new Error(`run ${id} is ${run.status}; cancel it before deleting it`);
    this.db.prepare('UPDATE runs SET deleted_at = ? WHERE id = ? AND deleted_at IS NULL').run(now, id);
  }

  /** Params are write-once: setting a key twice is an error (enforced by a trigger too). */
  setParams(id: string, params: Record<string, string | number | boolean>): void {
    const insert = this.db.prepare('INSERT INTO params (run_id, key, value) VALUES (?, ?, ?)');
    this.db.transaction(() => {
      for (const [key, value] of Object.entries(params)) {
        try {
          insert.run(id, key, String(value));
        } catch (error) {
          if ((error as { code?: string }).code === 'SQLITE_CONSTRAINT_PRIMARYKEY') throw new Error(`param '${key}' of run ${id} is already set (params are write-once)`);
          throw error;
        }
      }
    })();
  }

  params(id: string): Record<string, string> {
    const rows = this.db.prepare('SELECT key, value FROM params WHERE run_id = ? ORDER BY key').all(id) as { key: string; value: string }[];
    return Object.fromEntries(rows.map((r) => [r.key, r.value]));
  }

  /** Appends metric points and refreshes the latest-value cache, in one transaction. */
  logMetrics(id: string, values: Record<string, number>, step: number, now = Date.now()): void {
    const insert = this.db.prepare('INSERT INTO metrics (run_id, key, value, step, time) VALUES (?, ?, ?, ?, ?)');
    const latest = this.db.prepare(
      `INSERT INTO latest_metrics (run_id, key, value, step, time) VALUES (?, ?, ?, ?, ?)
       ON CONFLICT (run_id, key) DO UPDATE SET value = excluded.value, step = excluded.step, time = excluded.time
       WHERE excluded.step >= latest_metrics.step`,
    );
    this.db.transaction(() => {
      for (const [key, value] of Object.entries(values)) {
        if (!Number.isFinite(value)) continue;
        insert.run(id, key, value, step, now);
        latest.run(id, key, value, step, now);
      }
    })();
  }

  metricSeries(id: string): Record<string, MetricPoint[]> {
    const rows = this.db.prepare('SELECT key, value, step, time FROM metrics WHERE run_id = ? ORDER BY key, step, time').all(id) as (MetricPoint & { key: string })[];
    const series: Record<string, MetricPoint[]> = {};
    for (const { key, ...point } of rows) (series[key] ??= []).push(point);
    return series;
  }

  latestMetrics(id: string): Record<string, number> {
    const rows = this.db.prepare('SELECT key, value FROM latest_metrics WHERE run_id = ?').all(id) as { key: string; value: number }[];
    return Object.fromEntries(rows.map((r) => [r.key, r.value]));
  }

  /** The latest metrics of every run, in one query (a list needs them all). */
  latestMetricsByRun(): Map<string, Record<string, number>> {
    const byRun = new Map<string, Record<string, number>>();
    for (const [runId, key, value] of this.db.prepare('SELECT run_id, key, value FROM latest_metrics').raw().all() as [string, string, number][]) {
      let metrics = byRun.get(runId);
      if (!metrics) byRun.set(runId, (metrics = {}));
      metrics[key] = value;
    }
    return byRun;
  }

}
