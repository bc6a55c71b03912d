import type { HttpClient } from '@aihub/core/plugin-api';
import type { AiConfig, DeploymentConfig, ModelConfig, ProviderType } from '../config';
import { resolvePrice, type Price } from '../pricing';
import { missingApiKeys, type MissingKey, type OriginLookup } from '../providerKeys';
import { createProvider } from '../providers/createProvider';
import type { ProviderAdapter } from '../types';
import { DeploymentBreaker, type BreakerState } from './breaker';

/** A provider + model pair with its own breaker and latency statistics (shared by every alias using it). */
export interface Deployment {
  id: string;
  provider: ProviderAdapter;
  model: string;
  breaker: DeploymentBreaker;
  /** Moving average of time to first byte in ms (0 until measured), for least-latency routing. */
  latencyMs: number;
  /** Set by operational control (`AiControl.drain`): routing skips the deployment until restored. */
  drained?: { reason: string; at: string };
  /**
   * Set when its provider has no credential (an empty `apiKey`, e.g. from an unset variable): the
   * engine skips it instead of sending an empty key upstream, and answers `provider_not_configured`
   * when nothing else can serve the request.
   */
  missingKey?: MissingKey;
}

/** A deployment as one alias uses it: its weight and price there. */
export interface RouteEntry {
  dep: Deployment;
  weight: number;
  price: Price | null;
}

export interface ModelRoute {
  alias: string;
  strategy: ModelConfig['strategy'];
  entries: RouteEntry[];
  totalWeight: number;
  /** Aliases tried after this one's deployments. */
  fallbacks: ModelRoute[];
  /** Set by operational control (`AiControl.switchToFallback`): the fallbacks are tried first. */
  fallbackFirst?: boolean;
}

export interface Variant {
  name: string;
  weight: number;
  route: ModelRoute;
}

export interface Experiment {
  name: string;
  alias: string;
  enabled: boolean;
  stickyBy: 'user' | 'key';
  variants: Variant[];
  totalWeight: number;
}

/**
 * Everything routing needs, built from config at start and again on each live catalog change: providers, deployments (one breaker
 * each), model routes with resolved prices, and experiments. Request-time lookups are Map gets.
 */
export class Catalog {
  readonly providers = new Map<string, ProviderAdapter>();
  readonly deployments = new Map<string, Deployment>();
  readonly routes = new Map<string, ModelRoute>();
  readonly experiments = new Map<string, Experiment>();
  /** Every alias a client may request (models and experiment aliases), sorted. */
  readonly aliases: string[];

  /** Each provider's config as built (JSON), to tell an unchanged provider on the next build. */
  private readonly providerConfigs = new Map<string, string>();
  private readonly breakerConfig: string;

  /**
   * `previous`: the catalog this one replaces (a live change). Providers whose config is unchanged
   * and deployments on them with the same id and model are taken over as they are, so breakers,
   * latency figures and connection pools survive the swap; `retire` then closes what was not.
   */
  constructor(
    config: AiConfig,
    http: HttpClient,
    onBreakerState: (deployment: string, state: BreakerState) => void,
    previous?: Catalog,
    /** `ctx.configOrigin`, so a keyless provider's 503 names the variable the file reads its key from. */
    origin?: OriginLookup,
  ) {
    this.breakerConfig = JSON.stringify(config.breaker);
    for (const [name, p] of Object.entries(config.providers)) {
      const json = JSON.stringify(p);
      const old = previous?.providerConfigs.get(name) === json ? previous.providers.get(name) : undefined;
      this.providers.set(name, old ?? createProvider(name, p, http));
      this.providerConfigs.set(name, json);
    }
    const reuse = previous?.breakerConfig === this.breakerConfig ? previous : undefined;
    const keyless = new Map(missingApiKeys(config, origin).map((m) => [m.provider, m]));
    const deployment = (d: DeploymentConfig): Deployment => {
      const id = d.name ?? `${d.provider}/${d.model}`;
      let dep = this.deployments.get(id);
      if (!dep) {
        const provider = this.providers.get(d.provider)!;
        const old = reuse?.deployments.get(id);
        dep =
          old && old.provider === provider && old.model === d.model
            ? old
            : {
                id,
                provider,
                model: d.model,
                breaker: new DeploymentBreaker(id, config.breaker, (s) => onBreakerState(id, s)),
                latencyMs: 0,
                missingKey: keyless.get(d.provider),
              };
        this.deployments.set(id, dep);
      }
      return dep;
    };
    const route = (alias: string, m: Pick<ModelConfig, 'strategy' | 'deployments'>): ModelRoute => {
      const entries = m.deployments.map((d) => {
        const dep = deployment(d);
        const price = resolvePrice(
          {
            providerType: dep.provider.type as ProviderType,
            model: d.model,
            alias,
            override: d.priceOverride,
            priceProvider: dep.provider.priceProvider,
          },
          config.pricing,
        );
        return { dep, weight: d.weight, price };
      });
      return {
        alias,
        strategy: m.strategy,
        entries,
        totalWeight: entries.reduce((s, e) => s + e.weight, 0),
        fallbacks: [],
      };
    };
    for (const [alias, m] of Object.entries(config.models)) this.routes.set(alias, route(alias, m));
    for (const [alias, m] of Object.entries(config.models))
      this.routes.get(alias)!.fallbacks = m.fallbacks.map((f) => this.routes.get(f)!);
    for (const e of config.experiments) {
      const variants = e.variants.map((v) => ({
        name: v.name,
        weight: v.weight,
        route:
          v.model !== undefined
            ? this.routes.get(v.model)!
            : route(e.alias, { strategy: 'weighted', deployments: v.deployments! }),
      }));
      this.experiments.set(e.alias, {
        name: e.name,
        alias: e.alias,
        enabled: e.enabled,
        stickyBy: e.stickyBy,
        variants,
        totalWeight: variants.reduce((s, v) => s + v.weight, 0),
      });
    }
    this.aliases = [...new Set([...this.routes.keys(), ...this.experiments.keys()])].sort();
  }

  /** Known alias (routable model or experiment)? */
  has(alias: string): boolean {
    return this.routes.has(alias) || this.experiments.has(alias);
  }

  /**
   * Aliases nothing can serve: every deployment of their own and of their fallback aliases has an open
   * breaker. An alias whose fallback still serves it is available (readiness listed it as down).
   */
  unavailableAliases(): string[] {
    const out: string[] = [];
    for (const [alias, r] of this.routes) if (allOpen(r) && r.fallbacks.every(allOpen)) out.push(alias);
    return out;
  }

  /** Aliases whose own deployments all have open breakers while a fallback alias serves them. */
  servedByFallback(): string[] {
    const out: string[] = [];
    for (const [alias, r] of this.routes) if (allOpen(r) && !r.fallbacks.every(allOpen)) out.push(alias);
    return out;
  }

  /** Prices of every deployment entry, for the once-per-model unpriced warning at start. */
  *entries(): Iterable<[string, RouteEntry]> {
    for (const [alias, r] of this.routes) for (const e of r.entries) yield [alias, e];
  }

  /** Closes the providers and breakers of this catalog that `next` did not take over. */
  async retire(next: Catalog): Promise<void> {
    const keptDeps = new Set(next.deployments.values());
    const keptProviders = new Set(next.providers.values());
    for (const d of this.deployments.values()) if (!keptDeps.has(d)) d.breaker.shutdown();
    await Promise.all(
      [...this.providers.values()].filter((p) => !keptProviders.has(p)).map((p) => p.close().catch(() => {})),
    );
  }

  async close(): Promise<void> {
    for (const d of this.deployments.values()) d.breaker.shutdown();
    await Promise.all([...this.providers.values()].map((p) => p.close().catch(() => {})));
  }
}

/** True when every deployment of the alias has an open breaker. */
function allOpen(r: ModelRoute): boolean {
  return r.entries.every((e) => e.dep.breaker.state === 'open');
}
