/**
 * The cross-references of the ai plugin's config: deployments name a provider under `providers`,
 * fallbacks and experiment variants name another alias under `models`, provider types are known.
 *
 * They run on the config as parsed so far, even when other parts of it have schema problems (the
 * refinement is registered with `when: () => true`), so one `config validate` or start reports a bad
 * reference together with every other problem instead of in a second fix-and-retry round. The input
 * is therefore untrusted: anything not of the expected shape is skipped (its schema problem is
 * already reported). A reference near an existing name says which one it probably meant.
 */
import { didYouMean } from '@aihub/core/plugin-api';

export interface ReferenceIssue {
  path: (string | number)[];
  message: string;
}

type Obj = Record<string, unknown>;
const isObj = (v: unknown): v is Obj => typeof v === 'object' && v !== null && !Array.isArray(v);
const list = (v: unknown): unknown[] => (Array.isArray(v) ? v : []);

/** Every broken reference in `cfg` (the ai plugin's config object, possibly partly invalid). */
export function referenceIssues(cfg: unknown, providerTypes: readonly string[]): ReferenceIssue[] {
  const issues: ReferenceIssue[] = [];
  if (!isObj(cfg)) return issues;
  const providers = isObj(cfg.providers) ? cfg.providers : undefined;
  const models = isObj(cfg.models) ? cfg.models : undefined;
  const providerNames = new Set(providers ? Object.keys(providers) : []);

  const checkDeployments = (deps: unknown, path: (string | number)[]) => {
    // Without a providers map there is nothing to check against (its own problem is reported).
    if (!providers) return;
    list(deps).forEach((d, i) => {
      if (!isObj(d) || typeof d.provider !== 'string') return;
      if (!providerNames.has(d.provider)) {
        issues.push({
          path: [...path, i, 'provider'],
          message: `unknown provider "${d.provider}"; define it under providers (have: ${[...providerNames].join(', ') || 'none'})${didYouMean(d.provider, providerNames)}`,
        });
      }
    });
  };

  for (const [name, p] of Object.entries(providers ?? {})) {
    if (!isObj(p)) continue;
    const type = typeof p.type === 'string' ? p.type : name;
    if (!providerTypes.includes(type)) {
      // An explicit unknown type is the enum's problem; only the implied one (the name) is ours.
      if (p.type === undefined)
        issues.push({
          path: ['providers', name, 'type'],
          message: `set type to one of ${providerTypes.join(', ')}${didYouMean(name, providerTypes)}`,
        });
    } else if (type === 'azure-openai' && !p.baseUrl) {
      issues.push({
        path: ['providers', name, 'baseUrl'],
        message: 'azure-openai needs baseUrl https://<resource>.openai.azure.com',
      });
    }
  }

  const aliasNames = Object.keys(models ?? {});
  for (const [alias, m] of Object.entries(models ?? {})) {
    if (!isObj(m)) continue;
    checkDeployments(m.deployments, ['models', alias, 'deployments']);
    list(m.fallbacks).forEach((f, i) => {
      if (typeof f !== 'string') return;
      if (!Object.hasOwn(models!, f) || f === alias)
        issues.push({
          path: ['models', alias, 'fallbacks', i],
          message: `"${f}" is not another alias under models${didYouMean(
            f,
            aliasNames.filter((a) => a !== alias),
          )}`,
        });
    });
  }

  const names = new Set<string>();
  const aliases = new Set<string>();
  list(cfg.experiments).forEach((e, i) => {
    if (!isObj(e)) return;
    if (typeof e.name === 'string') {
      if (names.has(e.name))
        issues.push({ path: ['experiments', i, 'name'], message: `experiment "${e.name}" is defined twice` });
      names.add(e.name);
    }
    if (typeof e.alias === 'string') {
      if (aliases.has(e.alias))
        issues.push({ path: ['experiments', i, 'alias'], message: `alias "${e.alias}" already has an experiment` });
      aliases.add(e.alias);
    }
    const variants = list(e.variants);
    variants.forEach((v, j) => {
      if (!isObj(v)) return;
      if (typeof v.model === 'string' && models && !Object.hasOwn(models, v.model))
        issues.push({
          path: ['experiments', i, 'variants', j, 'model'],
          message: `"${v.model}" is not an alias under models${didYouMean(v.model, aliasNames)}`,
        });
      if (v.deployments !== undefined)
        checkDeployments(v.deployments, ['experiments', i, 'variants', j, 'deployments']);
    });
    if (variants.length > 0 && variants.every((v) => isObj(v) && v.weight === 0))
      issues.push({ path: ['experiments', i, 'variants'], message: 'at least one variant needs a weight above 0' });
  });
  return issues;
}
