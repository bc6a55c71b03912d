import type { PluginContext } from '@aihub/core/plugin-api';
import type { AiConfig } from './config';
import { fileKeyOrigin, type OriginLookup } from './providerKeys';
import { Engine } from './engine/Engine';
import type { AiCall } from './engine/AiCall';
import type { RelayEnd } from './engine/StreamRelay';
import { UsageRecorder } from './engine/UsageRecorder';
import { createAiMetrics, type AiMetrics } from './metrics';
import { CatalogStore } from './catalog/CatalogStore';
import { CredentialSealer } from './catalog/crypto';
import { LiveCatalog } from './catalog/LiveCatalog';
import { applyControl, type ControlState } from './catalog/controlState';
import { BREAKER_STATE_VALUE, type BreakerState } from './routing/breaker';
import { Catalog } from './routing/catalog';
import type { CatalogControl } from './control/CatalogControl';
import { FeedbackStore } from './store/FeedbackStore';
import { RequestLog } from './store/RequestLog';
import { ResponseStore } from './responses/store';

/** Everything the plugin builds at start; hooks and routes reach it as `ctx.runtime`. */
export class AiRuntime {
  readonly metrics: AiMetrics;
  readonly engine: Engine;
  readonly recorder: UsageRecorder;
  readonly requestLog: RequestLog | undefined;
  readonly feedback: FeedbackStore;
  /** Stored Responses API responses (ai_responses). */
  readonly responses: ResponseStore;
  /** The live catalog: the current snapshot, swapped whole on a change (see catalog/LiveCatalog). */
  readonly live: LiveCatalog;
  /** Automation's control state over the catalog (AI_CONTROL): set by startControl, cleared on stop. */
  control: CatalogControl | undefined;

  /** The current catalog. Read it once per request: the route a request resolved keeps its snapshot. */
  get catalog(): Catalog {
    return this.live.current.catalog;
  }

  /** The effective config of the catalog sections (providers, models, experiments, pricing): file + API overlay. */
  get catalogConfig(): AiConfig {
    return this.live.current.config;
  }

  /**
   * `ctx.configOrigin` for the key fields of `effective`'s providers that come from the file, so a
   * keyless one is named by the variable the file reads its key from (see fileKeyOrigin).
   */
  keyOrigin(effective: AiConfig = this.catalogConfig): OriginLookup {
    return fileKeyOrigin(this.ctx.configOrigin, this.live.fileConfig, effective);
  }

  /** Unix seconds the current catalog was built (the `created` of /v1/models entries). */
  get createdAt(): number {
    return this.live.current.createdAt;
  }

  constructor(readonly ctx: PluginContext<AiConfig>) {
    const config = ctx.config;
    this.metrics = createAiMetrics(ctx.meter);
    const gauge = this.metrics.breakerState;
    const onBreaker = (deployment: string, state: BreakerState) => {
      gauge.set({ deployment }, BREAKER_STATE_VALUE[state]);
      if (state === 'open')
        ctx.logger.warn(
          `circuit breaker of deployment ${deployment} opened: routing skips it until a trial call succeeds`,
          { deployment },
        );
      else ctx.logger.info(`circuit breaker of deployment ${deployment} is ${state}`, { deployment, state });
    };
    const onForced = (dep: { id: string; breaker: { state: BreakerState } }, forced: 'open' | 'closed' | null) => {
      gauge.set({ deployment: dep.id }, BREAKER_STATE_VALUE[dep.breaker.state]);
      ctx.logger.warn(
        forced
          ? `circuit breaker of deployment ${dep.id} forced ${forced} by operational control`
          : `circuit breaker of deployment ${dep.id} released by operational control`,
        { deployment: dep.id, forced },
      );
    };
    const build = (cfg: AiConfig, control: ControlState, previous?: Catalog) => {
      const catalog = new Catalog(cfg, ctx.http, onBreaker, previous, this.keyOrigin(cfg));
      // Drains, weights, forced breakers and fallback switches of the revision, before it serves.
      applyControl(catalog, control, onForced);
      for (const [id, d] of catalog.deployments)
        if (!previous?.deployments.has(id)) gauge.set({ deployment: id }, BREAKER_STATE_VALUE[d.breaker.state]);
      for (const [alias, entry] of catalog.entries()) {
        if (!entry.price)
          ctx.logger.info(
            `deployment ${entry.dep.id} of "${alias}" has no price; its requests will be recorded with an unknown cost`,
            { deployment: entry.dep.id },
          );
      }
      return catalog;
    };
    this.live = new LiveCatalog(
      ctx,
      new CatalogStore(ctx.database, ctx.table('catalog_revisions'), config.catalog.keepRevisions),
      new CredentialSealer(config.catalog),
      build,
    );
    const tables = { requests: ctx.table('requests'), feedback: ctx.table('feedback') };
    this.requestLog =
      config.feedback.trackRequests === 'off'
        ? undefined
        : new RequestLog(ctx.database, tables.requests, config.feedback, ctx.logger);
    this.feedback = new FeedbackStore(ctx.database, tables, this.requestLog);
    this.responses = new ResponseStore(
      ctx.database,
      ctx.table('responses'),
      config.responses.retentionDays,
      ctx.logger,
    );
    this.recorder = new UsageRecorder(config, ctx.queue, this.metrics, ctx.logger, this.requestLog);
    this.engine = new Engine(config, this.metrics, ctx.tracer, ctx.logger, (call: AiCall, end: RelayEnd) =>
      this.streamSettled(call, end),
    );
  }

  /**
   * Builds the catalog (the file's, then the stored API overlay over it). The tokenizer is not
   * loaded here: it loads at the first estimate (tokenCount.ts), most processes never need it.
   */
  async init(): Promise<void> {
    await this.live.init();
    await this.live.start();
  }

  /**
   * A reloaded config file: its catalog sections replace the running file's (the API overlay stays
   * over them). Throws with the problems when the result is invalid; the catalog then stays as it is.
   */
  reloadFile(next: AiConfig): void {
    const file = {
      ...this.live.fileConfig,
      providers: next.providers,
      models: next.models,
      experiments: next.experiments,
      pricing: next.pricing,
    };
    const result = this.live.applyFile(file);
    if (!result.ok) {
      const problems = result.issues.map((i) => ({
        code: 'AIHUB_E_CONFIG_INVALID' as const,
        path: i.path,
        message: `${i.message} (with the catalog's admin API entries over the file)`,
      }));
      throw Object.assign(new Error(problems.map((p) => `${p.path}: ${p.message}`).join('; ')), { problems });
    }
  }

  private streamSettled(call: AiCall, end: RelayEnd): void {
    const t = call.relay?.translator;
    this.recorder.finish(call, end.outcome, {
      httpStatus: end.outcome === 'cancelled' ? 499 : 200,
      errorCode: end.code ?? (end.outcome === 'cancelled' ? 'client_closed_request' : null),
      usage: t?.usage,
      upstreamCalled: true,
      completionText: t ? () => t.completionText() : undefined,
      firstTokenAt: t?.firstTokenAt,
    });
  }

  async close(): Promise<void> {
    await this.requestLog
      ?.close()
      .catch((err: unknown) => this.ctx.logger.error('could not flush ai requests', { err }));
    this.responses.close();
    await this.live.close();
  }
}

/** The ai plugin's context: `ctx.runtime` is the AiRuntime its `start` built. */
export type AiContext = PluginContext<AiConfig, AiRuntime>;
