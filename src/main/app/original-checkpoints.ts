/**
 * The checkpoints unlearning starts from: every finished image-classifier training run's
 * model, with its dataset, architecture, final test accuracy and the split it was trained
 * on (a forget set must be drawn from the same one).
 */
import type { OriginalCheckpoint } from '../../shared/unlearning-catalogue.js';
import type { Catalog } from '../catalog/catalog.js';

export function originalCheckpoints(catalog: Catalog): OriginalCheckpoint[] {
  const latest = catalog.runs.latestMetricsByRun();
  const originals: OriginalCheckpoint[] = [];
  for (const run of catalog.runs.list()) {
    if (run.kind !== 'train' || run.status !== 'finished' || run.dataset === null || run.dataset === 'facts') continue;
    const checkpoint = catalog.checkpoints.forRun(run.id).find((c) => c.role === 'original');
    if (!checkpoint) continue;
    const dataset = catalog.datasets.byName(run.dataset);
    const split = dataset && catalog.datasets.splits(dataset.id).find((s) => s.seed === Number(run.config.splitSeed ?? 0));
    originals.push({
      hash: checkpoint.hash,
      runId: run.id,
      datasetId: dataset?.id ?? null,
      dataset: run.dataset,
      model: checkpoint.model,
      testAccuracy: latest.get(run.id)?.test_accuracy ?? null,
      splitDigest: split?.digest ?? null,
      createdAt: checkpoint.createdAt,
    });
  }
  // The same bytes made by several runs are one checkpoint.
  return originals.filter((o, i) => originals.findIndex((p) => p.hash === o.hash) === i).sort((a, b) => b.createdAt - a.createdAt);
}
