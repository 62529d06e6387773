/**
 * Every aggregator by name, for the CLI, the service, the window and reports. Each is a
 * weighting (one file each): the Gramian G = J J^T of the objective gradients in, the
 * weights w out, in float64; the update d = w^T J is formed once on the backend.
 * Behaviour and defaults after torchjd (arXiv 2406.16232), see specs/moo-aggregators.md.
 * Adding one is adding its file and one line here.
 */
import { alignedMtl } from './aligned-mtl.js';
import { cagrad } from './cagrad.js';
import { dualProj } from './dual-proj.js';
import type { Weighting } from './gramian.js';
import { imtlG } from './imtl-g.js';
import { mean } from './mean.js';
import { mgda } from './mgda.js';
import { pama } from './pama.js';
import { pcgrad } from './pcgrad.js';
import { upgrad } from './upgrad.js';

export interface AggregatorOptions {
  /** Preference / linear-scalarisation weights, one per objective (non-negative, finite). */
  weights?: number[];
  seed?: number;
  /** CAGrad's c. */
  c?: number;
}

export interface AggregatorInfo {
  description: string;
  /** The options `create` reads. */
  options: readonly (keyof AggregatorOptions)[];
  /** Claims that the conformance tests hold every aggregator to. */
  properties: {
    /** The update never conflicts with an objective: (G w)_j >= 0 for every j (torchjd's table). */
    nonConflicting: boolean;
    /** Permuting the objectives permutes the weights; false where a seeded visiting order depends on the positions. */
    permutationEquivariant: boolean;
  };
  create(options: AggregatorOptions): Weighting;
}

const claims = (nonConflicting: boolean, permutationEquivariant = true) => ({ nonConflicting, permutationEquivariant });

export const AGGREGATORS = {
  mean: { description: 'linear scalarisation: the mean, or the given weights', options: ['weights'], properties: claims(false), create: (o) => mean(o.weights) },
  upgrad: { description: 'UPGrad (Jacobian descent): each gradient projected onto the dual cone, summed', options: ['weights'], properties: claims(true), create: (o) => upgrad(o.weights) },
  dualproj: { description: 'DualProj: the weighted mean projected onto the dual cone', options: ['weights'], properties: claims(true), create: (o) => dualProj(o.weights) },
  mgda: { description: 'MGDA: minimum-norm point of the convex hull of the gradients', options: [], properties: claims(true), create: () => mgda() },
  pcgrad: { description: 'PCGrad: conflicting gradients projected off each other (seeded order)', options: ['seed'], properties: claims(false, false), create: (o) => pcgrad(o.seed) },
  imtlg: { description: 'IMTL-G: equal projections onto the update', options: [], properties: claims(false), create: () => imtlG() },
  cagrad: { description: 'CAGrad(c): conflict-averse around the mean (c = 0.5)', options: ['c'], properties: claims(false), create: (o) => cagrad(o.c) },
  alignedmtl: { description: 'Aligned-MTL: gradients aligned by the condition number ("min" scale)', options: ['weights'], properties: claims(false), create: (o) => alignedMtl(o.weights) },
  pama: { description: 'closed-form O(m) Pareto rule adapted from PAMA', options: [], properties: claims(false), create: () => pama() },
} satisfies Record<string, AggregatorInfo>;

export type AggregatorName = keyof typeof AGGREGATORS;

export function aggregatorInfo(name: string): AggregatorInfo {
  const info = (AGGREGATORS as Record<string, AggregatorInfo>)[name];
  if (!info) throw new Error(`unknown aggregator '${name}'; available: ${Object.keys(AGGREGATORS).join(', ')}`);
  return info;
}

export function createAggregator(name: string, options: AggregatorOptions = {}): Weighting {
  const info = aggregatorInfo(name);
  for (const w of options.weights ?? []) {
    if (!Number.isFinite(w) || w < 0) throw new Error(`aggregator weights must be finite and non-negative, got ${options.weights!.join(', ')}`);
  }
  return info.create(options);
}
