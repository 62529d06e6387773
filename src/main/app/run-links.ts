/**
 * How runs refer to each other through checkpoints: an evaluation names the checkpoint
 * it measured (whose run made it), and a model run's checkpoint may have been evaluated.
 * The run page shows both links, and a model run's UA, RA, TA and MIA from its latest
 * finished evaluation.
 */
import type { RunLinks, RunRecord } from '../../shared/catalog-types.js';
import type { Catalog } from '../catalog/catalog.js';

export function runLinks(catalog: Catalog, run: RunRecord): RunLinks {
  if (run.kind === 'evaluate') {
    const hash = typeof run.config.checkpoint === 'string' ? run.config.checkpoint : null;
    // Runs that made the same bytes share the checkpoint: the first live one stands for them.
    const makers = (hash ? catalog.checkpoints.runsOf(hash) : []).map((r) => catalog.runs.get(r.runId)).filter((r) => r !== undefined);
    const model = makers.find((r) => r.deletedAt === null) ?? makers[0];
    return { evaluatedRun: model ? { id: model.id, kind: model.kind, method: model.method, deleted: model.deletedAt !== null } : null, evaluations: [] };
  }
  const evaluations = catalog.checkpoints
    .forRun(run.id)
    .flatMap((c) => catalog.runs.evaluationsOf(c.hash))
    .map((r) => ({ id: r.id, finishedAt: r.finishedAt, metrics: catalog.runs.latestMetrics(r.id) }));
  return { evaluatedRun: null, evaluations };
}
