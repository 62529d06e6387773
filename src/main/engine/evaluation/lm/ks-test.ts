/**
 * The two-sample Kolmogorov-Smirnov test, two-sided, with the exact p-value scipy's
 * ks_2samp computes by default for samples of up to 10,000 (TOFU's forget quality is its
 * p-value): D = max_x |F_a(x) - F_b(x)|; p = the share of the C(m+n, m) monotone lattice
 * paths from (0, 0) to (m, n) that leave the band |i/m - j/n| < D somewhere (Hodges 1958).
 * D is compared on the lcm grid, h = round(D lcm(m, n)), as scipy does, so that ties in
 * floating point do not move a path in or out.
 */

function gcd(a: number, b: number): number {
  while (b) [a, b] = [b, a % b];
  return a;
}

/** Largest gap between the two empirical distribution functions (right-continuous, ties included). */
export function ksStatistic(a: readonly number[], b: readonly number[]): number {
  const x = [...a].sort((p, q) => p - q);
  const y = [...b].sort((p, q) => p - q);
  let i = 0;
  let j = 0;
  let d = 0;
  while (i < x.length && j < y.length) {
    const v = Math.min(x[i]!, y[j]!);
    while (i < x.length && x[i] === v) i++;
    while (j < y.length && y[j] === v) j++;
    d = Math.max(d, Math.abs(i / x.length - j / y.length));
  }
  return d;
}

/**
 * Share of lattice paths that stay strictly inside |i n' - j m'| < h (n' = n/g, m' = m/g):
 * u(i, j) = (number of inside paths to (i, j)) / C(i + j, i), which obeys
 * u(i, j) = u(i-1, j) i / (i + j) + u(i, j-1) j / (i + j) and stays in [0, 1].
 */
function insideProbability(m: number, n: number, h: number): number {
  const g = gcd(m, n);
  const mg = m / g;
  const ng = n / g;
  const inside = (i: number, j: number) => Math.abs(i * ng - j * mg) < h;
  let row = new Float64Array(n + 1);
  row[0] = 1;
  for (let j = 1; j <= n; j++) row[j] = inside(0, j) ? row[j - 1]! : 0;
  for (let i = 1; i <= m; i++) {
    const next = new Float64Array(n + 1);
    next[0] = inside(i, 0) ? row[0]! : 0;
    for (let j = 1; j <= n; j++) next[j] = inside(i, j) ? (row[j]! * i + next[j - 1]! * j) / (i + j) : 0;
    row = next;
  }
  return row[n]!;
}

export function ksTwoSample(a: readonly number[], b: readonly number[]): { statistic: number; pValue: number } {
  if (a.length === 0 || b.length === 0) throw new RangeError('the KS test needs two non-empty samples');
  const statistic = ksStatistic(a, b);
  const m = a.length;
  const n = b.length;
  const lcm = (m / gcd(m, n)) * n;
  const h = Math.round(statistic * lcm);
  const pValue = Math.min(1, Math.max(0, 1 - insideProbability(m, n, h)));
  return { statistic, pValue };
}
