import type { ApiError } from '../../../core/api/problem';

/** One deployment row of the alias form. */
export interface DeploymentValue {
  provider: string;
  model: string;
  weight: number;
}

/** What the alias form edits; everything else of the entry is kept as it was. */
export interface AliasValue {
  name: string;
  deployments: DeploymentValue[];
  /** Comma- or space-separated alias names. */
  fallbacks: string;
}

/** An alias entry as the catalog API holds it (the config file's shape). */
export type AliasEntry = Record<string, unknown> & { deployments?: Record<string, unknown>[]; fallbacks?: string[] };

/** The form's starting value for an entry (or an empty alias with one deployment). */
export function aliasValue(name: string, entry: AliasEntry | null, firstProvider = ''): AliasValue {
  const deps = entry?.deployments ?? [];
  return {
    name,
    deployments: deps.length
      ? deps.map((d) => ({
          provider: String(d['provider'] ?? ''),
          model: String(d['model'] ?? ''),
          weight: typeof d['weight'] === 'number' ? d['weight'] : 1,
        }))
      : [{ provider: firstProvider, model: '', weight: 1 }],
    fallbacks: (entry?.fallbacks ?? []).join(', '),
  };
}

/**
 * The entry to PUT: the original entry (strategy, per-deployment overrides…) with the form's
 * deployments and fallbacks laid over it, so a field the form does not show is never lost.
 */
export function aliasEntry(value: AliasValue, original: AliasEntry | null): AliasEntry {
  const before = original?.deployments ?? [];
  const deployments = value.deployments.map((d, i) => ({
    ...(before[i] ?? {}),
    provider: d.provider.trim(),
    model: d.model.trim(),
    weight: Number(d.weight),
  }));
  const fallbacks = value.fallbacks
    .split(/[\s,]+/)
    .map((s) => s.trim())
    .filter(Boolean);
  const out: AliasEntry = { ...(original ?? {}), deployments };
  if (fallbacks.length) out.fallbacks = fallbacks;
  else delete out.fallbacks;
  return out;
}

/** Where a `catalog_invalid` issue belongs on the alias form. */
export type IssueTarget =
  | { field: 'fallbacks' }
  | { field: 'deployment'; index: number; key: 'provider' | 'model' | 'weight' | null }
  | { field: 'form' };

/** One problem of a `catalog_invalid` answer with where the form shows it. */
export interface PlacedIssue {
  target: IssueTarget;
  message: string;
}

/**
 * Places the issues of a 400 `catalog_invalid` next to the fields of alias `name`: the server's
 * paths are `models.<alias>.deployments.<i>.<field>` and `models.<alias>.fallbacks[.<i>]`; an
 * issue elsewhere (another entry broken by this change) is shown for the form as a whole, with its path.
 */
export function placeIssues(name: string, issues: { path: string; message: string }[]): PlacedIssue[] {
  const prefix = `models.${name}.`;
  return issues.map((i) => {
    if (!i.path.startsWith(prefix))
      return { target: { field: 'form' }, message: i.path ? `${i.path}: ${i.message}` : i.message };
    const rest = i.path.slice(prefix.length).split('.');
    if (rest[0] === 'fallbacks') return { target: { field: 'fallbacks' }, message: i.message };
    if (rest[0] === 'deployments' && rest[1] !== undefined && /^\d+$/.test(rest[1])) {
      const key = rest[2] === 'provider' || rest[2] === 'model' || rest[2] === 'weight' ? rest[2] : null;
      return { target: { field: 'deployment', index: Number(rest[1]), key }, message: i.message };
    }
    return { target: { field: 'form' }, message: `${i.path}: ${i.message}` };
  });
}

/** The issue list of a `catalog_invalid` problem (an extension member of the problem body). */
export function problemIssues(err: ApiError): { path: string; message: string }[] {
  const p = err.problem as unknown as { issues?: unknown };
  return Array.isArray(p.issues)
    ? (p.issues as { path: string; message: string }[]).filter((i) => i && typeof i.path === 'string')
    : [];
}

/** What the screen says about a failed change: a stale or concurrent edit, an invalid catalog, or the server's own sentence. */
export type ChangeFailure = 'stale' | 'invalid' | 'other';

export function changeFailure(err: ApiError): ChangeFailure {
  if (
    err.status === 412 ||
    err.status === 409 ||
    err.code === 'catalog_revision_mismatch' ||
    err.code === 'catalog_conflict'
  )
    return 'stale';
  if (err.code === 'catalog_invalid') return 'invalid';
  return 'other';
}

/** The If-Match header value for a catalog revision (its ETag). */
export function ifMatch(revision: number): string {
  return `"${revision}"`;
}
