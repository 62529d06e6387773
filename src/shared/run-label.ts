/**
 * A run's method as people tell runs apart: the method, its aggregator for
 * multi-objective runs, and RAUL's reference distribution (UniDist, HeldDist, frozen).
 */
import type { RunRecord } from './catalog-types.js';

export function methodName(run: Pick<RunRecord, 'kind' | 'method' | 'aggregator' | 'config'>): string {
  if (run.kind === 'train') return 'original (train)';
  if (run.kind === 'evaluate') return 'evaluation';
  const parts = [run.method ?? run.kind];
  if (run.aggregator) parts.push(run.aggregator);
  if (run.method === 'raul') parts.push(`${run.config.reference === 'heldout' ? 'HeldDist' : 'UniDist'}${run.config.frozenReference === true ? ' (frozen)' : ''}`);
  return parts.join(' · ');
}
