import { normalize, projectOntoDualCone, regularize, uniform, type Weighting } from './gramian.js';

/** DualProj: the preference-weighted mean projected onto the dual cone. */
export function dualProj(preference?: number[]): Weighting {
  return (g, m) => projectOntoDualCone(regularize(normalize(g, m), m), m, preference ?? uniform(m));
}
