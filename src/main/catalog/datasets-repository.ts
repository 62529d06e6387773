import type Database from 'better-sqlite3';
import type { DatasetRecord, SplitRecord } from '../../shared/catalog-types.js';

interface DatasetRow {
  id: number;
  name: string;
  digest: string;
  source: string;
  height: number;
  width: number;
  channels: number;
  class_names: string;
  sample_count: number;
  created_at: number;
}

interface SplitRow {
  id: number;
  dataset_id: number;
  digest: string;
  seed: number;
  test_fraction: number;
  held_out_fraction: number;
  train_count: number;
  held_out_count: number;
  test_count: number;
  created_at: number;
}

const toDataset = (r: DatasetRow): DatasetRecord => ({
  id: r.id,
  name: r.name,
  digest: r.digest,
  source: r.source,
  shape: [r.height, r.width, r.channels],
  classNames: JSON.parse(r.class_names) as string[],
  sampleCount: r.sample_count,
  createdAt: r.created_at,
});

const toSplit = (r: SplitRow): SplitRecord => ({
  id: r.id,
  datasetId: r.dataset_id,
  digest: r.digest,
  seed: r.seed,
  testFraction: r.test_fraction,
  heldOutFraction: r.held_out_fraction,
  counts: { train: r.train_count, heldOut: r.held_out_count, test: r.test_count },
  createdAt: r.created_at,
});

/** Datasets by content digest, with the splits made of them. */
export class DatasetsRepository {
  constructor(private readonly db: Database.Database) {}

  /** Records a dataset once per digest and returns its record. */
  upsert(d: Omit<DatasetRecord, 'id' | 'createdAt'>, now = Date.now()): DatasetRecord {
    this.db
      .prepare(
        `INSERT INTO datasets (name, digest, source, height, width, channels, class_names, sample_count, created_at)
         VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT (digest) DO NOTHING`,
      )
      .run(d.name, d.digest, d.source, d.shape[0], d.shape[1], d.shape[2], JSON.stringify(d.classNames), d.sampleCount, now);
    return this.byDigest(d.digest)!;
  }

  byDigest(digest: string): DatasetRecord | undefined {
    const row = this.db.prepare('SELECT * FROM datasets WHERE digest = ?').get(digest) as DatasetRow | undefined;
    return row && toDataset(row);
  }

  byId(id: number): DatasetRecord | undefined {
    const row = this.db.prepare('SELECT * FROM datasets WHERE id = ?').get(id) as DatasetRow | undefined;
    return row && toDataset(row);
  }

  /** The first dataset recorded under a name (names are not unique: a re-import under another digest is refused by the service). */
  byName(name: string): DatasetRecord | undefined {
    const row = this.db.prepare('SELECT * FROM datasets WHERE name = ? ORDER BY created_at LIMIT 1').get(name) as DatasetRow | undefined;
    return row && toDataset(row);
  }

  list(): DatasetRecord[] {
    return (this.db.prepare('SELECT * FROM datasets ORDER BY name, created_at').all() as DatasetRow[]).map(toDataset);
  }

  addSplit(s: Omit<SplitRecord, 'id' | 'createdAt'>, now = Date.now()): SplitRecord {
    this.db
      .prepare(
        `INSERT INTO splits (dataset_id, digest, seed, test_fraction, held_out_fraction, train_count, held_out_count, test_count, created_at)
         VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT (digest) DO NOTHING`,
      )
      .run(s.datasetId, s.digest, s.seed, s.testFraction, s.heldOutFraction, s.counts.train, s.counts.heldOut, s.counts.test, now);
    return toSplit(this.db.prepare('SELECT * FROM splits WHERE digest = ?').get(s.digest) as SplitRow);
  }

  splits(datasetId: number): SplitRecord[] {
    return (this.db.prepare('SELECT * FROM splits WHERE dataset_id = ? ORDER BY seed').all(datasetId) as SplitRow[]).map(toSplit);
  }
}
