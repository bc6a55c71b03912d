/** Money is integer micro-dollars everywhere; these helpers only format it for people and CSV. */

/** `1234567` → `"1.234567"`; exact (no floating point). */
export function microsToUsd(micros: number): string {
  const sign = micros < 0 ? '-' : '';
  const abs = Math.abs(Math.trunc(micros));
  return `${sign}${Math.floor(abs / 1_000_000)}.${String(abs % 1_000_000).padStart(6, '0')}`;
}

/** `100000000` → `"$100.00"` for messages (rounded to cents). */
export function microsToDisplay(micros: number): string {
  const cents = Math.round(micros / 10_000);
  return `$${Math.floor(cents / 100)}.${String(Math.abs(cents % 100)).padStart(2, '0')}`;
}
