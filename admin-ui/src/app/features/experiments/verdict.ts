/** What the significance column says about one variant (a translation key suffix under `experiments.verdict`). */
export type Verdict = 'baseline' | 'insufficient' | 'significant' | 'notSignificant';

/** The server's significance result of a variant (null on the baseline). */
export interface Significance {
  p_value: number | null;
  significant: boolean;
}

/** Classifies a variant's significance result for display. */
export function verdictOf(s: Significance | null): Verdict {
  if (s === null) return 'baseline';
  if (s.p_value === null) return 'insufficient';
  return s.significant ? 'significant' : 'notSignificant';
}

/** A p-value to 3 significant digits, tiny ones as "<0.001"; "—" when there is none. */
export function formatP(p: number | null): string {
  if (p === null || !Number.isFinite(p)) return '—';
  if (p < 0.001) return '<0.001';
  return p.toPrecision(3).replace(/\.?0+$/, '');
}
