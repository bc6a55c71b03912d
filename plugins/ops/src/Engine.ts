import type {
  AiControl,
  ControlChange,
  ControlOrigin,
  KeyControl,
  KeyValueStore,
  Logger,
  HttpClient,
  ScriptDefinition,
} from '@aihub/core/plugin-api';
import type { OpsConfig } from './config';
import type { EventLog, OpsEvent } from './EventLog';
import type { OpsMetrics } from './metrics';
import type { RuleStore, StoredRule } from './RuleStore';
import type { Observation, Signals } from './signals/Signals';
import { readProbeProgress, writeProbeProgress } from './probeProgress';
import { sendWebhook } from './webhook';

/** Renews the leader lease only while this instance still holds it (compare and extend, atomically). */
const RENEW: ScriptDefinition<number> = {
  name: 'ops_leader_renew',
  lua: `if redis.call('GET', KEYS[1]) == ARGV[1] then redis.call('PEXPIRE', KEYS[1], ARGV[2]) return 1 end return 0`,
  memory: (s, keys, args) => {
    if (s.get(keys[0]) !== args[0]) return 0;
    s.pexpire(keys[0], Number(args[1]));
    return 1;
  },
};

/** Reason prefix of drains made by rules: only those are probed and restored automatically. */
export const RULE_DRAIN = 'ops rule ';

export interface EngineDeps {
  id: string;
  config: OpsConfig;
  store: KeyValueStore;
  rules: RuleStore;
  signals: Signals;
  events: EventLog;
  metrics: OpsMetrics;
  logger: Logger;
  http: HttpClient;
  ai: () => AiControl | undefined;
  keys: () => KeyControl | undefined;
  now?: () => number;
}

/**
 * Evaluates the rules and acts, on one instance at a time. Safety, in order:
 * 1. Leadership: a lease in the shared store (`SET NX PX`, renewed by compare-and-extend) — only the
 *    leader evaluates and probes.
 * 2. A per-rule-and-target lock (`SET NX PX` for the cooldown): even two instances that both believe
 *    they lead (a lease lost mid-evaluation) cannot act twice on the same thing; the lock is the cooldown.
 * 3. The cap: an action counter per window (`INCR` with a TTL); over it, the decision is recorded as
 *    `capped` and nothing is done.
 * 4. Dry-run (the plugin's or the rule's): decided and recorded, never done.
 * Every decision is recorded (events table, metric, log) with its reason.
 */
export class Engine {
  private timer?: NodeJS.Timeout;
  private probeTimer?: NodeJS.Timeout;
  private running?: Promise<void>;
  private probing?: Promise<void>;
  /**
   * Evaluation and probing take turns: an evaluation reads when each deployment was last restored
   * before it judges, so a probe restoring a deployment in the middle of it would let the failures
   * that drained it drain it again at once.
   */
  private turn: Promise<void> = Promise.resolve();
  private leading = false;
  private lastPurge = 0;
  private readonly now: () => number;

  constructor(private readonly d: EngineDeps) {
    this.now = d.now ?? Date.now;
  }

  get isLeader(): boolean {
    return this.leading;
  }

  start(): void {
    const c = this.d.config;
    this.timer = setInterval(() => void this.evaluate(), c.evaluateIntervalMs);
    this.timer.unref();
    if (c.probe.enabled) {
      this.probeTimer = setInterval(() => void this.probe(), c.probe.intervalMs);
      this.probeTimer.unref();
    }
  }

  async stop(): Promise<void> {
    if (this.timer) clearInterval(this.timer);
    if (this.probeTimer) clearInterval(this.probeTimer);
    await Promise.allSettled([this.running, this.probing]);
    if (this.leading) {
      // Hand over at once rather than after the lease runs out.
      const holder = await this.d.store.get('leader').catch(() => null);
      if (holder === this.d.id) await this.d.store.del('leader').catch(() => {});
      this.leading = false;
      this.d.metrics.leader.set(0);
    }
  }

  /** Runs `fn` after the evaluation or probe in progress (see `turn`). */
  private exclusive(fn: () => Promise<void>): Promise<void> {
    const run = this.turn.then(fn);
    this.turn = run.catch(() => {});
    return run;
  }

  /** Takes or renews the lease; true while this instance leads. */
  async lead(): Promise<boolean> {
    const ttl = Math.max(3 * this.d.config.evaluateIntervalMs, 2_000);
    const store = this.d.store;
    let leads = (await store.runScript(RENEW, ['leader'], [this.d.id, ttl])) === 1;
    if (!leads) leads = await store.set('leader', this.d.id, { nx: true, ttlMs: ttl });
    if (leads !== this.leading)
      this.d.logger.info(
        leads
          ? 'ops: this instance now evaluates the automation rules'
          : 'ops: another instance evaluates the automation rules',
        { instance: this.d.id },
      );
    this.leading = leads;
    this.d.metrics.leader.set(leads ? 1 : 0);
    return leads;
  }

  /** One evaluation (never two at once on an instance). Exposed for tests. */
  evaluate(): Promise<void> {
    this.running ??= this.exclusive(() => this.evaluateOnce())
      .catch((err: unknown) => void this.d.logger.warn('ops: rule evaluation failed (will retry)', { err }))
      .finally(() => (this.running = undefined));
    return this.running!;
  }

  private async evaluateOnce(): Promise<void> {
    if (!this.d.config.enabled || !(await this.lead())) return;
    this.d.signals.reset();
    const rules = (await this.d.rules.all()).filter((r) => r.enabled);
    const since = await this.restoredSince();
    for (const rule of rules) {
      let observations: Observation[];
      try {
        observations = await this.d.signals.read(rule.when.signal, rule.when.windowSeconds, since);
      } catch (err) {
        this.d.logger.warn(`ops: could not read signal ${rule.when.signal} for rule ${rule.name}`, { err });
        continue;
      }
      for (const o of observations) {
        if (rule.when.subject !== undefined && o.subject !== rule.when.subject) continue;
        if (
          o.samples !== null &&
          ['error_ratio', 'latency_p95_ms', 'ttft_p95_ms'].includes(rule.when.signal) &&
          o.samples < rule.when.minSamples
        )
          continue;
        if (!(o.value > rule.when.above)) continue;
        await this.decide(rule, o);
      }
    }
    const ai = this.d.ai();
    if (ai) this.d.metrics.drained.set(ai.deployments().filter((x) => x.drained).length);
    if (this.now() - this.lastPurge > 3_600_000) {
      this.lastPurge = this.now();
      await this.d.events.purge(this.now() - this.d.config.eventRetentionDays * 86_400_000).catch(() => {});
    }
  }

  /**
   * When each deployment was last restored (shared, for an hour: the longest window), so the failures
   * that had it drained do not drain it again at once; it is judged on its traffic since.
   */
  private async restoredSince(): Promise<Map<string, number>> {
    const out = new Map<string, number>();
    const ai = this.d.ai();
    if (!ai) return out;
    const ids = ai.deployments().map((x) => x.id);
    if (!ids.length) return out;
    const values = await this.d.store.mget(ids.map((id) => `restored:${id}`));
    values.forEach((v, i) => {
      if (v !== null && Number.isFinite(Number(v))) out.set(ids[i], Number(v));
    });
    return out;
  }

  /**
   * Restores a deployment and marks when (see restoredSince). The mark goes first: an evaluation that
   * sees the deployment restored must also see since when.
   */
  async restore(ai: AiControl, deployment: string, origin?: ControlOrigin): Promise<ControlChange> {
    await this.d.store.set(`restored:${deployment}`, String(this.now()), { ttlMs: 3_600_000 });
    const change = await ai.restore(deployment, origin);
    // The next drain starts a new count.
    await this.d.store.del(`probe:${deployment}`);
    return change;
  }

  private async decide(rule: StoredRule, o: Observation): Promise<void> {
    const a = rule.action;
    const target = a.target ?? o.subject;
    const reason = `${rule.when.signal} of ${o.subject} is ${round(o.value)} (above ${rule.when.above}): ${o.detail}`;
    if (this.alreadyInState(rule, target)) return;
    // The cooldown lock first: it also keeps a second instance from deciding the same thing.
    const lock = `cooldown:${rule.name}:${target}`;
    if (!(await this.d.store.set(lock, this.d.id, { nx: true, ttlMs: Math.max(rule.cooldownSeconds * 1000, 1) })))
      return;
    const base = {
      rule: rule.name,
      action: a.type,
      target,
      reason,
      signal: rule.when.signal,
      value: Number.isFinite(o.value) ? o.value : null,
      instance: this.d.id,
    };
    if (this.d.config.dryRun || rule.dryRun)
      return void (await this.record({ ...base, outcome: 'dry_run', error: null }));
    const windowMs = this.d.config.actionWindowSeconds * 1000;
    const slot = Math.floor(this.now() / windowMs);
    const used = await this.d.store.incr(`cap:${slot}`, 1, windowMs * 2);
    if (used > this.d.config.maxActions) {
      return void (await this.record({
        ...base,
        outcome: 'capped',
        error: `${this.d.config.maxActions} actions per ${this.d.config.actionWindowSeconds}s reached`,
      }));
    }
    try {
      const revision = await this.act(rule, target, o, reason);
      await this.record({ ...base, outcome: 'acted', error: null, revision });
    } catch (err) {
      await this.record({ ...base, outcome: 'failed', error: err instanceof Error ? err.message : String(err) });
    }
  }

  /** A drain of a drained deployment (and the like) is no decision: nothing would change. */
  private alreadyInState(rule: StoredRule, target: string): boolean {
    const ai = this.d.ai();
    if (!ai) return false;
    const a = rule.action;
    if (a.type === 'drain' || a.type === 'restore') {
      const dep = ai.deployments().find((x) => x.id === target);
      return !!dep && !!dep.drained === (a.type === 'drain');
    }
    if (a.type === 'switch_fallback') {
      const alias = ai.aliases().find((x) => x.alias === target);
      return !!alias && alias.switchedToFallback === (a.on ?? true);
    }
    return false;
  }

  /** Does the rule's action; returns the catalog revision of a routing change, null for other actions. */
  private async act(rule: StoredRule, target: string, o: Observation, reason: string): Promise<number | null> {
    const a = rule.action;
    const needAi = () => {
      const ai = this.d.ai();
      if (!ai) throw new Error('the ai plugin is not loaded');
      return ai;
    };
    // The catalog revision each change makes names the rule and carries the reason.
    const origin: ControlOrigin = { author: `ops:${rule.name}`, reason };
    switch (a.type) {
      case 'drain':
        return (
          await needAi().drain(
            target,
            `${RULE_DRAIN}${rule.name}${a.probe === false ? ' (no probe)' : ''}: ${reason}`,
            origin,
          )
        ).revision;
      case 'restore':
        return (await this.restore(needAi(), target, origin)).revision;
      case 'set_weight':
        return (await needAi().setWeight(a.alias!, target, a.weight!, origin)).revision;
      case 'force_breaker':
        return (await needAi().forceBreaker(target, a.state === 'auto' ? null : a.state!, origin)).revision;
      case 'switch_fallback':
        return (await needAi().switchToFallback(target, a.on ?? true, origin)).revision;
      case 'suspend_key':
      case 'resume_key': {
        // Reversible (auth's KeyControl suspends, never revokes): resume_key or an admin lifts it. KeyControl
        // lifts only a hold automation made: on an admin's hold it throws, and the decision is recorded as
        // failed with that reason (below in evaluate), the key staying held.
        const keys = this.d.keys();
        if (!keys) throw new Error('the auth plugin is not loaded');
        if (!o.tenantId)
          throw new Error(`signal ${rule.when.signal} names no key's tenant; ${a.type} needs a key budget alert`);
        const found =
          a.type === 'suspend_key'
            ? await keys.suspendKey(o.tenantId, target, `${RULE_DRAIN}${rule.name}: ${reason}`, `ops:${rule.name}`)
            : await keys.resumeKey(o.tenantId, target);
        if (!found) throw new Error(`key ${target} does not exist in tenant ${o.tenantId}`);
        return null;
      }
      case 'webhook': {
        const hook = this.d.config.webhooks[a.webhook!];
        if (!hook) throw new Error(`webhook ${a.webhook} is not configured`);
        const event: OpsEvent = {
          id: 'pending',
          created_at: new Date(this.now()).toISOString(),
          rule: rule.name,
          action: a.type,
          target,
          outcome: 'acted',
          reason,
          signal: rule.when.signal,
          value: o.value,
          instance: this.d.id,
          error: null,
        };
        await sendWebhook(this.d.http, hook, event);
        return null;
      }
    }
  }

  private async record(e: Omit<OpsEvent, 'id' | 'created_at'>): Promise<void> {
    this.d.metrics.decisions.inc({ rule: e.rule, action: e.action, outcome: e.outcome });
    const log = e.outcome === 'failed' || e.outcome === 'capped' ? 'warn' : 'info';
    this.d.logger[log](
      `ops: rule ${e.rule} ${e.outcome === 'acted' ? 'did' : e.outcome === 'dry_run' ? 'would do (dry run)' : e.outcome === 'capped' ? 'was capped from doing' : 'failed to do'} ${e.action}${e.target ? ` ${e.target}` : ''}: ${e.reason}`,
      {
        rule: e.rule,
        action: e.action,
        target: e.target,
        outcome: e.outcome,
        error: e.error,
      },
    );
    try {
      await this.d.events.record(e, this.now());
    } catch (err) {
      this.d.logger.error('ops: could not record a decision', { err, rule: e.rule, action: e.action });
    }
  }

  /**
   * Probes each deployment a rule drained (drains by hand stay until restored by hand), and restores
   * it after `probe.successes` consecutive successes; a failure starts the count again, so a flapping
   * deployment stays drained. Leader only. Exposed for tests.
   */
  probe(): Promise<void> {
    this.probing ??= this.exclusive(() => this.probeOnce())
      .catch((err: unknown) => void this.d.logger.warn('ops: probing failed (will retry)', { err }))
      .finally(() => (this.probing = undefined));
    return this.probing!;
  }

  private async probeOnce(): Promise<void> {
    const ai = this.d.ai();
    if (!ai || !this.d.config.enabled || !(await this.lead())) return;
    const p = this.d.config.probe;
    const drained = ai
      .deployments()
      .filter((x) => x.drained?.reason.startsWith(RULE_DRAIN) && !x.drained.reason.includes(' (no probe)'));
    if (!drained.length) return;
    const progress = await readProbeProgress(
      this.d.store,
      drained.map((x) => ({ id: x.id, drainedAt: x.drained!.at })),
    );
    for (const dep of drained) {
      const r = await ai.probe(dep.id, p.timeoutMs);
      const streak = r.ok ? (progress.get(dep.id)?.streak ?? 0) + 1 : 0;
      // Stored before it is counted: whoever sees the metric move sees the progress too.
      await writeProbeProgress(this.d.store, dep.id, {
        drainedAt: dep.drained!.at,
        streak,
        lastResult: r.ok ? 'ok' : 'failed',
        lastStatus: r.status,
        lastError: r.error,
        lastAt: new Date(this.now()).toISOString(),
      });
      this.d.metrics.probes.inc({ deployment: dep.id, result: r.ok ? 'ok' : 'failed' });
      if (streak < p.successes) continue;
      const rule = /^ops rule ([^:]+):/.exec(dep.drained!.reason)?.[1] ?? 'probe';
      const base = {
        rule,
        action: 'restore',
        target: dep.id,
        reason: `${streak} consecutive probes succeeded (last ${Math.round(r.latencyMs)} ms, HTTP ${r.status}); drained since ${dep.drained!.at}`,
        signal: null,
        value: null,
        instance: this.d.id,
      };
      try {
        const { revision } = await this.restore(ai, dep.id, { author: 'probe', reason: base.reason });
        await this.record({ ...base, outcome: 'acted', error: null, revision });
      } catch (err) {
        await this.record({ ...base, outcome: 'failed', error: err instanceof Error ? err.message : String(err) });
      }
    }
  }
}

function round(v: number): string {
  if (!Number.isFinite(v)) return String(v);
  return Math.abs(v) >= 100 ? String(Math.round(v)) : String(Math.round(v * 1000) / 1000);
}
