/**
 * One colour per study row, the same in every view and figure: Original and Retrain in
 * fixed neutrals, methods from a colour-blind-safe palette (Okabe-Ito, then Tableau) in
 * the order the study lists them.
 */
export type ColorOf = (label: string) => string;

export const ORIGINAL_COLOR = '#7a7a7a';
export const RETRAIN_COLOR = '#1b1b1b';

const PALETTE = ['#0072b2', '#e69f00', '#009e73', '#cc79a7', '#d55e00', '#56b4e9', '#a6761d', '#8c564b', '#9467bd', '#17becf', '#bcbd22', '#e377c2'];

/** Colours for labels in a fixed order (a study's rows, or the runs being compared); an unknown label gets the neutral grey. */
export function methodColors(labels: readonly string[]): ColorOf {
  const methods = labels.filter((l) => l !== 'Original' && l !== 'Retrain');
  const colors = new Map(methods.map((label, i) => [label, PALETTE[i % PALETTE.length]!]));
  colors.set('Original', ORIGINAL_COLOR);
  colors.set('Retrain', RETRAIN_COLOR);
  return (label) => colors.get(label) ?? ORIGINAL_COLOR;
}
