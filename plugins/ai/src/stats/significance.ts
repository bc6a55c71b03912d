/**
 * Significance of an experiment variant's error rate against the baseline (the first variant),
 * computed from the aggregates the summary already has (requests and errors per variant): a pooled
 * two-proportion z-test, two-sided. Latency has only sums per variant (no sum of squares), so a
 * Welch t-test is not possible without storing more; error rate is the comparison we can state.
 */
export interface ProportionTest {
  /** Stable name of the test, shown in the console. */
  test: 'two_proportion_z';
  metric: 'error_rate';
  /** Variant compared against. */
  baseline: string;
  z: number | null;
  p_value: number | null;
  /** p < alpha (0.05). */
  significant: boolean;
}

/** Standard normal CDF (Abramowitz–Stegun 7.1.26 erf approximation, |error| < 1.5e-7). */
export function normalCdf(x: number): number {
  const t = 1 / (1 + 0.3275911 * (Math.abs(x) / Math.SQRT2));
  const poly = t * (0.254829592 + t * (-0.284496736 + t * (1.421413741 + t * (-1.453152027 + t * 1.061405429))));
  const erf = 1 - poly * Math.exp(-(x * x) / 2);
  return x >= 0 ? (1 + erf) / 2 : (1 - erf) / 2;
}

/**
 * Two-sided pooled two-proportion z-test of errors2/n2 against errors1/n1. Null z and p when either
 * group has no requests or the pooled rate is 0 or 1 (no variance: nothing to test).
 */
export function twoProportionZ(
  baseline: string,
  errors1: number,
  n1: number,
  errors2: number,
  n2: number,
  alpha = 0.05,
): ProportionTest {
  const none: ProportionTest = {
    test: 'two_proportion_z',
    metric: 'error_rate',
    baseline,
    z: null,
    p_value: null,
    significant: false,
  };
  if (n1 <= 0 || n2 <= 0) return none;
  const pooled = (errors1 + errors2) / (n1 + n2);
  const se = Math.sqrt(pooled * (1 - pooled) * (1 / n1 + 1 / n2));
  if (!(se > 0)) return none;
  const z = (errors2 / n2 - errors1 / n1) / se;
  const p = Math.min(1, 2 * (1 - normalCdf(Math.abs(z))));
  return { ...none, z, p_value: p, significant: p < alpha };
}
