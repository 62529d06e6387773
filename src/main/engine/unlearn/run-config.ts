/**
 * What the catalog records as an unlearning run's config: the options every method
 * reads, the chosen method's own (its METHOD_INFO entry), and for a multi-objective
 * method the aggregator with the options it reads (its AGGREGATORS entry), plus the
 * objectives in row order. Options that do not apply are left out, so they neither show
 * in the run nor change its config hash.
 */
import { COMMON_UNLEARN_OPTIONS, type UnlearnConfig } from '../../../shared/unlearn-config.js';
import { aggregatorInfo } from '../moo/registry.js';
import { methodInfo } from './method-info.js';

export type UnlearnRunConfig = Partial<UnlearnConfig> & { objectives: string[] };

export function unlearnRunConfig(config: UnlearnConfig): UnlearnRunConfig {
  const info = methodInfo(config.method);
  const applicable = new Set<string>([...COMMON_UNLEARN_OPTIONS, ...info.options]);
  if (info.multiObjective) {
    applicable.add('aggregator');
    for (const option of aggregatorInfo(config.aggregator).options) applicable.add(option);
  }
  const recorded = Object.fromEntries(Object.entries(config).filter(([key, value]) => applicable.has(key) && value !== undefined));
  return { ...recorded, objectives: info.objectives };
}
