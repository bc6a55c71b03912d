import type {
  AiAliasState,
  AiControl,
  AiDeploymentState,
  ControlChange,
  ControlOrigin,
  ProbeResult,
} from '@aihub/core/plugin-api';
import type { ControlState } from '../catalog/controlState';
import type { LiveCatalog } from '../catalog/LiveCatalog';
import type { Catalog, Deployment } from '../routing/catalog';
import { probeDeployment } from './probe';

/** A drain's reason as the ops plugin's rules write it: `ops rule <name>: …`. */
const RULE_REASON = /^ops rule ([^\s:]+)/;

/**
 * Operational control of routing (the `AiControl` service) as catalog revisions: a drain, restore,
 * weight override, forced breaker or fallback switch edits the `control` section of the newest
 * revision and stores the next one through the same write path as the admin API (validated, applied
 * here at once, announced to the other instances, found by their poll otherwise). So the control
 * state is in the database, survives a Redis flush and a restart, shows in the revisions list and
 * diff, and a rollback restores it. Concurrent changes from several instances all land: a writer that
 * loses the race for a revision number re-reads and redoes its edit. A change that changes nothing
 * (draining a drained deployment for the same reason) stores no revision. The request path only reads
 * the plain fields the build set (see catalog/controlState.ts).
 */
export class CatalogControl implements AiControl {
  constructor(private readonly live: LiveCatalog) {}

  private get catalog(): Catalog {
    return this.live.current.catalog;
  }

  deployments(): AiDeploymentState[] {
    const aliases = new Map<string, string[]>();
    for (const r of this.catalog.routes.values())
      for (const e of r.entries) (aliases.get(e.dep.id) ?? aliases.set(e.dep.id, []).get(e.dep.id)!).push(r.alias);
    return [...this.catalog.deployments.values()].map((d) => ({
      id: d.id,
      provider: d.provider.name,
      model: d.model,
      aliases: aliases.get(d.id) ?? [],
      breaker: d.breaker.state,
      forcedBreaker: d.breaker.forced,
      drained: d.drained ?? null,
    }));
  }

  aliases(): AiAliasState[] {
    const { config, overlay } = this.live.current;
    return [...this.catalog.routes.values()].map((r) => {
      // The entries carry the effective weight (applyControl overwrote overridden ones): the configured
      // weight is read from the effective config, by the same id the catalog gives a deployment.
      const configured = new Map(
        (config.models[r.alias]?.deployments ?? []).map((d) => [d.name ?? `${d.provider}/${d.model}`, d.weight]),
      );
      const overrides = overlay.control.weights[r.alias] ?? {};
      return {
        alias: r.alias,
        fallbacks: r.fallbacks.map((f) => f.alias),
        switchedToFallback: !!r.fallbackFirst,
        weights: Object.fromEntries(r.entries.map((e) => [e.dep.id, e.weight])),
        configuredWeights: Object.fromEntries(r.entries.map((e) => [e.dep.id, configured.get(e.dep.id) ?? e.weight])),
        overridden: r.entries.filter((e) => overrides[e.dep.id] !== undefined).map((e) => e.dep.id),
      };
    });
  }

  drain(deployment: string, reason: string, origin?: ControlOrigin): Promise<ControlChange> {
    this.dep(deployment);
    const why = reason.slice(0, 500);
    return this.change('drain', `deployment/${deployment}`, origin, why, (c) => {
      // The same drain again changes nothing (its time stays that of the first).
      if (c.drained[deployment]?.reason === why) return;
      c.drained[deployment] = { reason: why, at: new Date().toISOString() };
    });
  }

  restore(deployment: string, origin?: ControlOrigin): Promise<ControlChange> {
    this.dep(deployment);
    const was = this.live.current.overlay.control.drained[deployment];
    return this.change(
      'restore',
      `deployment/${deployment}`,
      origin,
      was ? `restored (drained since ${was.at}: ${was.reason})` : 'restored',
      (c) => void delete c.drained[deployment],
    );
  }

  setWeight(alias: string, deployment: string, weight: number | null, origin?: ControlOrigin): Promise<ControlChange> {
    const route = this.catalog.routes.get(alias);
    if (!route) throw new RangeError(`unknown model alias "${alias}"`);
    if (!route.entries.some((e) => e.dep.id === deployment))
      throw new RangeError(`deployment "${deployment}" is not one of "${alias}"`);
    if (weight !== null && !(Number.isFinite(weight) && weight >= 0))
      throw new RangeError('weight must be a number ≥ 0');
    return this.change(
      'set_weight',
      `model/${alias}/${deployment}`,
      origin,
      weight === null ? 'configured weight again' : `weight ${weight}`,
      (c) => {
        const weights = (c.weights[alias] ??= {});
        if (weight === null) delete weights[deployment];
        else weights[deployment] = weight;
        if (!Object.keys(weights).length) delete c.weights[alias];
      },
    );
  }

  forceBreaker(deployment: string, state: 'open' | 'closed' | null, origin?: ControlOrigin): Promise<ControlChange> {
    this.dep(deployment);
    return this.change(
      'force_breaker',
      `deployment/${deployment}`,
      origin,
      state ? `breaker held ${state}` : 'breaker released',
      (c) => {
        if (state) c.breakers[deployment] = state;
        else delete c.breakers[deployment];
      },
    );
  }

  switchToFallback(alias: string, on: boolean, origin?: ControlOrigin): Promise<ControlChange> {
    const route = this.catalog.routes.get(alias);
    if (!route) throw new RangeError(`unknown model alias "${alias}"`);
    if (!route.fallbacks.length) throw new RangeError(`model alias "${alias}" has no fallbacks`);
    return this.change(
      'switch_fallback',
      `model/${alias}`,
      origin,
      on ? 'traffic to the fallbacks first' : 'traffic back to its own deployments',
      (c) => {
        if (on) c.fallbackFirst[alias] = true;
        else delete c.fallbackFirst[alias];
      },
    );
  }

  probe(deployment: string, timeoutMs: number): Promise<ProbeResult> {
    return probeDeployment(this.dep(deployment), timeoutMs);
  }

  private dep(id: string): Deployment {
    const dep = this.catalog.deployments.get(id);
    if (!dep) throw new RangeError(`unknown deployment "${id}"`);
    return dep;
  }

  /** One control change as the next catalog revision (concurrency-safe; nothing stored when nothing changes). */
  private async change(
    action: string,
    target: string,
    origin: ControlOrigin | undefined,
    reason: string,
    edit: (control: ControlState) => void,
  ): Promise<ControlChange> {
    const why = origin?.reason ?? reason;
    const r = await this.live.commit(
      (overlay) => edit(overlay.control),
      { author: origin?.author ?? authorOf(why), action: `ai_control.${action}`, target, reason: why },
      { trigger: 'control', retry: true, skipUnchanged: true },
    );
    return { revision: r.revision, changed: r.changed };
  }
}

/** Without an explicit author: a rule's drain names its rule; anything else is the ops automation. */
function authorOf(reason: string): string {
  const rule = RULE_REASON.exec(reason)?.[1];
  if (rule) return `ops:${rule}`;
  if (reason.startsWith('by hand:')) return 'ops:manual';
  return 'ops';
}
