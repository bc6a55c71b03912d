import { CHANGELOG_PATH, SUNSET_AFTER_DAYS, VERSION_HEADER } from './catalog';

export const DAY_MS = 86_400_000;

/** Midnight UTC of a `YYYY-MM-DD` version date. */
export function versionTime(version: string): number {
  return Date.parse(`${version}T00:00:00Z`);
}

/** When an older version stops being served: SUNSET_AFTER_DAYS after the version that replaced it. */
export function sunsetOf(replacedBy: string): number {
  return versionTime(replacedBy) + SUNSET_AFTER_DAYS * DAY_MS;
}

/**
 * The response headers of an answer served at `version`, computed once at boot. An older version
 * is deprecated from the release of the version after it: `Deprecation: @<unix seconds>` (RFC 9745),
 * `Sunset: <HTTP-date>` (RFC 8594) and a `Link` to the changelog with both relations.
 */
export function versionHeaders(version: string, replacedBy: string | undefined): [string, string][] {
  const out: [string, string][] = [[VERSION_HEADER, version]];
  if (replacedBy === undefined) return out;
  out.push(['deprecation', `@${Math.floor(versionTime(replacedBy) / 1000)}`]);
  out.push(['sunset', new Date(sunsetOf(replacedBy)).toUTCString()]);
  out.push([
    'link',
    `<${CHANGELOG_PATH}>; rel="deprecation"; type="application/json", <${CHANGELOG_PATH}>; rel="sunset"; type="application/json"`,
  ]);
  return out;
}
