/**
 * Shading of a study table cell by its gap to Retrain: the stronger, the larger the gap
 * relative to the column's largest; warm when the value is above Retrain's, cool when
 * below, none at zero.
 */
const ABOVE = [214, 96, 77];
const BELOW = [67, 147, 195];

/** Background of a cell: `difference` = value - Retrain's (its sign), `gap` its size, `scale` the column's largest gap. */
export function gapShade(difference: number | null, gap: number | null, scale: number): string | undefined {
  if (difference === null || gap === null || !(scale > 0) || gap === 0) return undefined;
  const [r, g, b] = difference > 0 ? ABOVE : BELOW;
  const alpha = Math.min(1, gap / scale) * 0.55;
  return `rgba(${r}, ${g}, ${b}, ${alpha.toFixed(3)})`;
}
