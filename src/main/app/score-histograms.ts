/**
 * The MIA histograms of a study (see shared/score-histograms.ts): each chosen model's
 * evaluation score artifact is read, its scores binned on edges shared by every panel,
 * and its forget scores compared with Retrain's by the two-sample Kolmogorov-Smirnov
 * distance. Only counts leave the main side.
 */
import type { StudyRecord } from '../../shared/catalog-types.js';
import type { HistogramGroup, HistogramPanel, HistogramRequest, ScoreHistograms } from '../../shared/score-histograms.js';
import { InvalidRequestError } from '../../shared/validation.js';
import type { Catalog } from '../catalog/catalog.js';
import { readScoreFile, type ScoreGroup } from '../engine/evaluation/score-file.js';
import { studyTable } from './study-table.js';
import { classifierTable } from '../../shared/study-config.js';

/** Share of the pooled scores left out of the edges' range at each end (counted in the end bins). */
const TAIL = 0.005;

/** The q-quantile of sorted values (nearest rank). */
function quantile(sorted: Float32Array, q: number): number {
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.round(q * (sorted.length - 1))))]!;
}

/** `bins` equal bins between the pooled scores' TAIL and 1 - TAIL quantiles (a unit range around a constant). */
export function sharedEdges(samples: Float32Array[], bins: number): number[] {
  const total = samples.reduce((n, s) => n + s.length, 0);
  const pooled = new Float32Array(total);
  let offset = 0;
  for (const s of samples) {
    pooled.set(s, offset);
    offset += s.length;
  }
  const finite = pooled.filter(Number.isFinite).sort();
  let [low, high] = finite.length ? [quantile(finite, TAIL), quantile(finite, 1 - TAIL)] : [0, 1];
  if (!(high > low)) [low, high] = [low - 0.5, low + 0.5];
  return Array.from({ length: bins + 1 }, (_, i) => low + ((high - low) * i) / bins);
}

/** Samples per bin; values beyond the edges (and infinities) count in the end bins, so the counts sum to the sample count. */
export function histogramCounts(values: Float32Array, edges: number[]): number[] {
  const bins = edges.length - 1;
  const low = edges[0]!;
  const width = (edges[bins]! - low) / bins;
  const counts = new Array<number>(bins).fill(0);
  for (const v of values) {
    const k = Number.isNaN(v) ? 0 : Math.floor((v - low) / width);
    counts[k < 0 ? 0 : k >= bins ? bins - 1 : k]!++;
  }
  return counts;
}

/** Two-sample Kolmogorov-Smirnov distance: the largest gap between the empirical CDFs. */
export function ksDistance(a: Float32Array, b: Float32Array): number {
  if (a.length === 0 || b.length === 0) return NaN;
  const x = Float32Array.from(a).sort();
  const y = Float32Array.from(b).sort();
  let i = 0;
  let j = 0;
  let distance = 0;
  while (i < x.length && j < y.length) {
    // Step past every sample equal to the smaller value in both, so ties move the CDFs together.
    const v = Math.min(x[i]!, y[j]!);
    while (i < x.length && x[i] === v) i++;
    while (j < y.length && y[j] === v) j++;
    distance = Math.max(distance, Math.abs(i / x.length - j / y.length));
  }
  return distance;
}

interface Chosen {
  runId: string;
  evaluationId: string;
  label: string;
  role: HistogramPanel['role'];
  seed: number | null;
  mia: number | null;
}

export function studyHistograms(catalog: Catalog, study: StudyRecord, request: HistogramRequest): ScoreHistograms {
  const table = classifierTable(studyTable(catalog, study));
  const available: Chosen[] = table.rows.flatMap((row) =>
    row.runs.map((r) => ({ runId: r.runId, evaluationId: r.evaluationId, label: row.label, role: row.role, seed: r.seed, mia: r.metrics.MIA.value })),
  );
  const retrain = available.find((c) => c.role === 'retrain');
  let chosen: Chosen[];
  if (request.runs) {
    chosen = request.runs.map((id) => {
      const found = available.find((c) => c.runId === id || c.runId.startsWith(id));
      if (!found) throw new InvalidRequestError(`histogram runs: '${id}' is not an evaluated run of study '${study.name}'`);
      return found;
    });
  } else {
    const firstOfRow = new Set(table.rows.map((row) => row.runs[0]?.runId));
    chosen = available.filter((c) => firstOfRow.has(c.runId));
  }
  if (chosen.length === 0) throw new Error(`study '${study.name}' has no evaluated runs yet`);

  const scoresOf = new Map<string, ScoreGroup[]>();
  const groupsOf = (c: Chosen): ScoreGroup[] => {
    let groups = scoresOf.get(c.evaluationId);
    if (!groups) {
      const artifact = catalog.artifacts.forRun(c.evaluationId).find((a) => a.kind === 'sample-scores');
      if (!artifact) throw new Error(`evaluation ${c.evaluationId.slice(0, 8)} of ${c.label} kept no per-sample scores`);
      groups = readScoreFile(artifact.path);
      scoresOf.set(c.evaluationId, groups);
    }
    return groups;
  };
  // Indexing the artifact's columns by the request's score type-checks that the names agree.
  const column = (c: Chosen, group: HistogramGroup): Float32Array | undefined => groupsOf(c).find((g) => g.name === group)?.columns[request.score];

  const binned = chosen.flatMap((c) => request.groups.map((g) => column(c, g)).filter((s): s is Float32Array => s !== undefined));
  const edges = sharedEdges(binned, request.bins);
  const retrainForget = retrain && column(retrain, 'forget');
  const panels = chosen.map((c): HistogramPanel => {
    const counts: HistogramPanel['counts'] = {};
    const sizes: HistogramPanel['sizes'] = {};
    for (const group of request.groups) {
      const values = column(c, group);
      if (!values) continue;
      counts[group] = histogramCounts(values, edges);
      sizes[group] = values.length;
    }
    const forget = column(c, 'forget');
    const ks = forget && retrainForget ? ksDistance(forget, retrainForget) : null;
    return { runId: c.runId, evaluationId: c.evaluationId, label: c.label, role: c.role, seed: c.seed, mia: c.mia, ks, counts, sizes };
  });
  return { study: study.name, score: request.score, groups: request.groups, edges, panels };
}
