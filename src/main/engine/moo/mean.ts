import { uniform, type Weighting } from './gramian.js';

/** Linear scalarisation: fixed preference weights (the plain mean by default). */
export function mean(preference?: number[]): Weighting {
  return (_g, m) => (preference ? Float64Array.from(preference) : uniform(m));
}
