/** Money is integer micro-dollars everywhere; these helpers only format it for people and CSV. */

/** `1234567` → `"1.234567"`; exact (no floating point). */
export function microsToUsd(micros: number): string {
  const sign = micros < 0 ? '-' : '';
  const abs = Math.abs(Math.trunc(micros));
  return `${sign}${Math.floor(abs / 1_000_000)}.${String(abs % 1_000_000).padStart(6, '0')}`;
}

/**
 * Money for messages and logs: `100000000` → `"$100.00"` (cents from a dollar up); under a dollar,
 * as many decimals as the amount has (at least two): `5000` → `"$0.005"`, `1234` → `"$0.001234"`.
 * Rounding to cents read a budget of half a cent as "$0.00 of $0.00".
 */
export function microsToDisplay(micros: number): string {
  const sign = micros < 0 ? '-' : '';
  const abs = Math.abs(Math.trunc(micros));
  if (abs >= 1_000_000) {
    const cents = Math.round(abs / 10_000);
    return `${sign}$${Math.floor(cents / 100)}.${String(cents % 100).padStart(2, '0')}`;
  }
  const decimals = String(abs).padStart(6, '0').replace(/0+$/, '');
  return `${sign}$0.${decimals.padEnd(2, '0')}`;
}
