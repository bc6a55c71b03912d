import type { CoreConfig } from '../config/coreSchema';
import { ProblemCode, type Problem } from '../config/problems';
import { PHASES, type Phase } from './phases';
import type { HookDefinition } from './types';

/** A hook together with the plugin that declared it. */
export interface BoundHook {
  plugin: string;
  /** `plugin:name`, unique in the gateway. */
  id: string;
  hook: HookDefinition;
}

/**
 * Orders hooks within each phase: operator override first (`pipeline.order`), then `order`, then
 * plugin and hook name for a stable tie-break; `before`/`after` constraints are then applied with a
 * stable topological sort. The operator's order wins over the plugins' `before`/`after` between the
 * hooks it lists. Constraint cycles and overrides naming unknown plugins are problems.
 */
export function orderHooks(
  hooks: BoundHook[],
  overrides: CoreConfig['pipeline']['order'],
): { byPhase: Map<Phase, BoundHook[]>; problems: Problem[] } {
  const problems: Problem[] = [];
  const byPhase = new Map<Phase, BoundHook[]>();
  const plugins = new Set(hooks.map((h) => h.plugin));
  for (const [phase, list] of Object.entries(overrides ?? {})) {
    for (const [i, ref] of (list ?? []).entries()) {
      const plugin = ref.split(':')[0];
      if (!plugins.has(plugin)) {
        problems.push({
          code: ProblemCode.PIPELINE_INVALID,
          path: `pipeline.order.${phase}[${i}]`,
          message: `"${ref}" names no loaded plugin with hooks; fix the name or remove it`,
        });
      }
    }
  }
  for (const phase of PHASES) {
    const inPhase = hooks.filter((h) => h.hook.phase === phase);
    if (!inPhase.length) continue;
    const override = overrides?.[phase] ?? [];
    const rank = (h: BoundHook) => {
      const byId = override.indexOf(h.id);
      if (byId !== -1) return byId;
      const byPlugin = override.indexOf(h.plugin);
      return byPlugin === -1 ? Number.MAX_SAFE_INTEGER : byPlugin;
    };
    const base = [...inPhase].sort(
      (a, b) =>
        rank(a) - rank(b) ||
        (a.hook.order ?? 0) - (b.hook.order ?? 0) ||
        a.plugin.localeCompare(b.plugin) ||
        a.id.localeCompare(b.id),
    );
    const sorted = applyConstraints(base, phase, problems, (h) => rank(h) !== Number.MAX_SAFE_INTEGER);
    byPhase.set(phase, sorted);
  }
  return { byPhase, problems };
}

/**
 * Stable topological sort of `base` (already in rank order). Between two hooks the operator listed in
 * `pipeline.order`, the operator's order replaces the plugins' own `before`/`after`: the README's own
 * example (`request.limit: [usage, rate-limit]`) used to be silently undone by rate-limit's `before`.
 * Constraints with hooks the operator did not list still hold.
 */
function applyConstraints(
  base: BoundHook[],
  phase: Phase,
  problems: Problem[],
  listed: (h: BoundHook) => boolean,
): BoundHook[] {
  // edges: a → b means a runs before b
  const edges = new Map<BoundHook, Set<BoundHook>>(base.map((h) => [h, new Set()]));
  const operatorDecides = (a: BoundHook, b: BoundHook) => listed(a) && listed(b);
  for (const h of base) {
    for (const other of base) {
      if (other === h || operatorDecides(h, other)) continue;
      if (h.hook.before?.includes(other.plugin)) edges.get(h)!.add(other);
      if (h.hook.after?.includes(other.plugin)) edges.get(other)!.add(h);
    }
  }
  // The operator's list as edges (base is in rank order), so it holds even where constraints with
  // unlisted hooks pull one of the listed ones around.
  const ranked = base.filter(listed);
  for (let i = 1; i < ranked.length; i++) edges.get(ranked[i - 1])!.add(ranked[i]);
  const indegree = new Map(base.map((h) => [h, 0]));
  for (const targets of edges.values()) for (const t of targets) indegree.set(t, indegree.get(t)! + 1);
  const out: BoundHook[] = [];
  const remaining = [...base];
  while (remaining.length) {
    const next = remaining.find((h) => indegree.get(h) === 0);
    if (!next) {
      problems.push({
        code: ProblemCode.PIPELINE_INVALID,
        path: `pipeline.order.${phase}`,
        message: remaining.some(listed)
          ? `hooks ${remaining.map((h) => h.id).join(', ')}: their before/after constraints conflict with the order in pipeline.order.${phase}; list all of them there to decide`
          : `hooks ${remaining.map((h) => h.id).join(', ')} have before/after constraints that form a cycle; set pipeline.order.${phase} to decide`,
      });
      return [...out, ...remaining];
    }
    remaining.splice(remaining.indexOf(next), 1);
    out.push(next);
    for (const t of edges.get(next)!) indegree.set(t, indegree.get(t)! - 1);
  }
  return out;
}
