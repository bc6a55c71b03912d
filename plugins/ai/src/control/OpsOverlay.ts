import type {
  AiAliasState,
  AiControl,
  AiDeploymentState,
  KeyValueStore,
  Logger,
  ProbeResult,
} from '@aihub/core/plugin-api';
import { AttemptSignal } from '../engine/AttemptSignal';
import type { AiMetrics } from '../metrics';
import { BREAKER_STATE_VALUE } from '../routing/breaker';
import type { Catalog, Deployment, ModelRoute } from '../routing/catalog';
import type { CallInput } from '../types';

/** Channel on which a change is announced, so every instance applies it at once (polling catches a missed one). */
const CHANGED = 'ops:changed';

const key = {
  drain: (dep: string) => `ops:drain:${dep}`,
  breaker: (dep: string) => `ops:breaker:${dep}`,
  fallback: (alias: string) => `ops:fallback:${alias}`,
  weight: (alias: string, dep: string) => `ops:weight:${alias}:${dep}`,
};

/**
 * Operational control of routing (the `AiControl` service): drains, weights, forced breakers and
 * fallback switches, kept in the shared store — one key per item, so concurrent changes never
 * overwrite each other — and applied to the in-process catalog on every instance. An instance reads
 * every key in one MGET each `syncMs` (the set of keys is bounded by the config) and at once when a
 * change is announced; the request path only reads plain fields of the catalog. A catalog rebuilt by
 * a live change is found on the next read and gets the same state (within `syncMs`).
 */
export class OpsOverlay implements AiControl {
  private readonly configured = new WeakMap<ModelRoute, number[]>();
  private keys: string[] = [];
  private apply: ((value: string | null) => void)[] = [];
  private bound?: Catalog;
  private timer?: NodeJS.Timeout;
  private unsubscribe?: () => Promise<void>;
  private syncing?: Promise<void>;
  private lastError = 0;

  constructor(
    private readonly current: () => Catalog,
    private readonly store: KeyValueStore,
    private readonly metrics: AiMetrics,
    private readonly logger: Logger,
  ) {}

  private get catalog(): Catalog {
    return this.current();
  }

  /** The keys of the current catalog's deployments and aliases, and how each value applies to it. */
  private bind(catalog: Catalog): void {
    this.bound = catalog;
    this.keys = [];
    this.apply = [];
    for (const dep of catalog.deployments.values()) {
      this.watch(key.drain(dep.id), (v) => (dep.drained = parse<{ reason: string; at: string }>(v)));
      this.watch(key.breaker(dep.id), (v) => this.applyBreaker(dep, v === 'open' || v === 'closed' ? v : null));
    }
    for (const route of catalog.routes.values()) {
      this.configured.set(
        route,
        route.entries.map((e) => e.weight),
      );
      if (route.fallbacks.length) this.watch(key.fallback(route.alias), (v) => (route.fallbackFirst = v === '1'));
      route.entries.forEach((e, i) =>
        this.watch(key.weight(route.alias, e.dep.id), (v) => {
          const w = v === null ? Number.NaN : Number(v);
          e.weight = Number.isFinite(w) && w >= 0 ? w : this.configured.get(route)![i];
          route.totalWeight = route.entries.reduce((s, x) => s + x.weight, 0);
        }),
      );
    }
  }

  private watch(k: string, apply: (value: string | null) => void): void {
    this.keys.push(k);
    this.apply.push(apply);
  }

  /** Reads the shared state once, then follows it: announcements at once, and a poll every `syncMs`. */
  async start(syncMs: number): Promise<void> {
    await this.sync();
    this.unsubscribe = await this.store.subscribe(CHANGED, () => void this.sync());
    this.timer = setInterval(() => void this.sync(), syncMs);
    this.timer.unref();
  }

  /** Applies the shared state now (one MGET); concurrent calls share one read. */
  sync(): Promise<void> {
    this.syncing ??= this.read().finally(() => (this.syncing = undefined));
    return this.syncing;
  }

  private async read(): Promise<void> {
    const catalog = this.catalog;
    if (catalog !== this.bound) this.bind(catalog);
    if (this.keys.length === 0) return;
    try {
      const values = await this.store.mget(this.keys);
      values.forEach((v, i) => this.apply[i](v));
    } catch (err) {
      // The store is away: keep what was applied last (routing goes on as it was).
      if (Date.now() - this.lastError > 60_000) {
        this.lastError = Date.now();
        this.logger.warn('ai: could not read operational control state (will retry)', { err });
      }
    }
  }

  async close(): Promise<void> {
    if (this.timer) clearInterval(this.timer);
    await this.unsubscribe?.().catch(() => {});
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
    return [...this.catalog.routes.values()].map((r) => ({
      alias: r.alias,
      fallbacks: r.fallbacks.map((f) => f.alias),
      switchedToFallback: !!r.fallbackFirst,
      weights: Object.fromEntries(r.entries.map((e) => [e.dep.id, e.weight])),
    }));
  }

  async drain(deployment: string, reason: string): Promise<void> {
    this.dep(deployment);
    await this.change(
      key.drain(deployment),
      JSON.stringify({ reason: reason.slice(0, 500), at: new Date().toISOString() }),
    );
  }

  async restore(deployment: string): Promise<void> {
    this.dep(deployment);
    await this.change(key.drain(deployment), null);
  }

  async setWeight(alias: string, deployment: string, weight: number | null): Promise<void> {
    const route = this.catalog.routes.get(alias);
    if (!route) throw new RangeError(`unknown model alias "${alias}"`);
    if (!route.entries.some((e) => e.dep.id === deployment))
      throw new RangeError(`deployment "${deployment}" is not one of "${alias}"`);
    if (weight !== null && !(Number.isFinite(weight) && weight >= 0))
      throw new RangeError('weight must be a number ≥ 0');
    await this.change(key.weight(alias, deployment), weight === null ? null : String(weight));
  }

  async forceBreaker(deployment: string, state: 'open' | 'closed' | null): Promise<void> {
    this.dep(deployment);
    await this.change(key.breaker(deployment), state);
  }

  async switchToFallback(alias: string, on: boolean): Promise<void> {
    const route = this.catalog.routes.get(alias);
    if (!route) throw new RangeError(`unknown model alias "${alias}"`);
    if (!route.fallbacks.length) throw new RangeError(`model alias "${alias}" has no fallbacks`);
    await this.change(key.fallback(alias), on ? '1' : null);
  }

  async probe(deployment: string, timeoutMs: number): Promise<ProbeResult> {
    const dep = this.dep(deployment);
    const provider = dep.provider;
    const chat = provider.supports('chat');
    const call: CallInput = {
      op: chat ? 'chat' : 'embeddings',
      body: chat
        ? { model: dep.model, messages: [{ role: 'user', content: 'ping' }], max_tokens: 1 }
        : { model: dep.model, input: 'ping' },
      raw: undefined,
      stream: false,
      clientWantsUsage: false,
    };
    const signal = new AttemptSignal();
    const timer = setTimeout(() => signal.abort(), timeoutMs);
    const began = performance.now();
    try {
      const res = await provider.sendBuffered(call, dep.model, signal, undefined, {
        answer: 1024 * 1024,
        error: 64 * 1024,
      });
      const latencyMs = performance.now() - began;
      return res.statusCode < 300
        ? { ok: true, status: res.statusCode, latencyMs, error: null }
        : { ok: false, status: res.statusCode, latencyMs, error: 'status' };
    } catch {
      return {
        ok: false,
        status: null,
        latencyMs: performance.now() - began,
        error: signal.aborted ? 'timeout' : 'connection',
      };
    } finally {
      clearTimeout(timer);
    }
  }

  private dep(id: string): Deployment {
    const dep = this.catalog.deployments.get(id);
    if (!dep) throw new RangeError(`unknown deployment "${id}"`);
    return dep;
  }

  private applyBreaker(dep: Deployment, forced: 'open' | 'closed' | null): void {
    if (dep.breaker.forced === forced) return;
    dep.breaker.forced = forced;
    this.metrics.breakerState.set({ deployment: dep.id }, BREAKER_STATE_VALUE[dep.breaker.state]);
    this.logger.warn(
      forced
        ? `circuit breaker of deployment ${dep.id} forced ${forced} by operational control`
        : `circuit breaker of deployment ${dep.id} released by operational control`,
      { deployment: dep.id, forced },
    );
  }

  /** Writes one item, applies it here at once and announces it to the other instances. */
  private async change(k: string, value: string | null): Promise<void> {
    if (value === null) await this.store.del(k);
    else await this.store.set(k, value);
    if (this.catalog !== this.bound) this.bind(this.catalog);
    const i = this.keys.indexOf(k);
    if (i >= 0) this.apply[i](value);
    await this.store.publish(CHANGED, k).catch(() => {});
  }
}

function parse<T>(v: string | null): T | undefined {
  if (v === null) return undefined;
  try {
    return JSON.parse(v) as T;
  } catch {
    return undefined;
  }
}
