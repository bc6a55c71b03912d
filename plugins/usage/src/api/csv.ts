/**
 * One CSV cell (RFC 4180): quoted when it holds a comma, quote or line break. Text that a
 * spreadsheet would run as a formula (starting with = + - @, tab or carriage return) is prefixed with
 * a single quote (OWASP CSV injection). Numbers are written as they are.
 */
export function csvCell(value: unknown): string {
  if (value === null || value === undefined) return '';
  if (typeof value === 'number' || typeof value === 'bigint') return String(value);
  if (typeof value === 'boolean') return value ? 'true' : 'false';
  let s = String(value);
  if (/^[=+\-@\t\r]/.test(s)) s = `'${s}`;
  if (/[",\r\n]/.test(s) || s.startsWith("'")) return `"${s.replace(/"/g, '""')}"`;
  return s;
}

/** One CSV line, CRLF-terminated as RFC 4180 says. */
export function csvLine(values: unknown[]): string {
  return values.map(csvCell).join(',') + '\r\n';
}
