/**
 * Pareto analysis of a study's runs over two or three objectives, all to be minimised
 * (state a maximised metric as its negative or as a gap): the non-dominated set and its
 * hypervolume against a reference point every counted run must dominate.
 */

/** a dominates b: no worse everywhere, better somewhere. */
export function dominates(a: number[], b: number[]): boolean {
  let better = false;
  for (let k = 0; k < a.length; k++) {
    if (a[k]! > b[k]!) return false;
    if (a[k]! < b[k]!) better = true;
  }
  return better;
}

/** Indices of the non-dominated points, in input order. */
export function paretoFront(points: number[][]): number[] {
  return points.map((_, i) => i).filter((i) => !points.some((q, j) => j !== i && dominates(q, points[i]!)));
}

/** Area (2-D) or volume (3-D) dominated by the points and bounded by the reference point. */
export function hypervolume(points: number[][], reference: number[]): number {
  const inside = points.filter((p) => p.every((v, k) => v < reference[k]!));
  if (inside.length === 0) return 0;
  const dims = reference.length;
  if (dims === 2) {
    const front = paretoFront(inside).map((i) => inside[i]!).sort((a, b) => a[0]! - b[0]!);
    let area = 0;
    let previousY = reference[1]!;
    for (const [x, y] of front) {
      if (y! < previousY) {
        area += (reference[0]! - x!) * (previousY - y!);
        previousY = y!;
      }
    }
    return area;
  }
  if (dims === 3) {
    // Slice along the third axis: between consecutive z values, the 2-D hypervolume of the points below.
    const zs = [...new Set(inside.map((p) => p[2]!))].sort((a, b) => a - b);
    let volume = 0;
    zs.forEach((z, k) => {
      const next = k + 1 < zs.length ? zs[k + 1]! : reference[2]!;
      const slice = inside.filter((p) => p[2]! <= z).map((p) => [p[0]!, p[1]!]);
      volume += hypervolume(slice, [reference[0]!, reference[1]!]) * (next - z);
    });
    return volume;
  }
  throw new Error(`hypervolume supports 2 or 3 objectives, got ${dims}`);
}
