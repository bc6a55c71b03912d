/**
 * AI Hub's API versions, oldest first. A version is the date it was released; the last one is the
 * current version (what a caller without a pin gets). Each version after the first is described by
 * the changes registered for it (core's and the plugins' `versionChanges`).
 */
export const API_VERSIONS: readonly string[] = ['2026-06-01', '2026-12-01'];

/** How long an older version is still served after the version that replaced it was released. */
export const SUNSET_AFTER_DAYS = 365;

/** Where callers read what changed (the `Link` of `Deprecation` and `Sunset` answers). */
export const CHANGELOG_PATH = '/admin/v1/versions';

/** The request and response header naming the API version. */
export const VERSION_HEADER = 'aihub-version';

/** `YYYY-MM-DD` and a real calendar date. */
export function isVersionDate(value: string): boolean {
  if (!/^\d{4}-\d{2}-\d{2}$/.test(value)) return false;
  const d = new Date(`${value}T00:00:00Z`);
  return !Number.isNaN(d.getTime()) && d.toISOString().slice(0, 10) === value;
}
