import type { PluginContext } from '@aihub/core/plugin-api';
import type { AiConfig } from './config';
import { Engine } from './engine/Engine';
import type { AiCall } from './engine/AiCall';
import type { RelayEnd } from './engine/StreamRelay';
import { UsageRecorder } from './engine/UsageRecorder';
import { createAiMetrics, type AiMetrics } from './metrics';
import { BREAKER_STATE_VALUE } from './routing/breaker';
import { Catalog } from './routing/catalog';
import { FeedbackStore } from './store/FeedbackStore';
import { RequestLog } from './store/RequestLog';
import { ResponseStore } from './responses/store';
import { loadTokenizer } from './tokens';

/** Everything the plugin builds at start; hooks and routes reach it as `ctx.runtime`. */
export class AiRuntime {
  readonly metrics: AiMetrics;
  readonly catalog: Catalog;
  readonly engine: Engine;
  readonly recorder: UsageRecorder;
  readonly requestLog: RequestLog | undefined;
  readonly feedback: FeedbackStore;
  /** Stored Responses API responses (ai_responses). */
  readonly responses: ResponseStore;
  /** Unix seconds the catalog was built (the `created` of /v1/models entries). */
  readonly createdAt = Math.floor(Date.now() / 1000);

  constructor(readonly ctx: PluginContext<AiConfig>) {
    const config = ctx.config;
    this.metrics = createAiMetrics(ctx.meter);
    const gauge = this.metrics.breakerState;
    this.catalog = new Catalog(config, ctx.http, (deployment, state) => {
      gauge.set({ deployment }, BREAKER_STATE_VALUE[state]);
      if (state === 'open') ctx.logger.warn(`circuit breaker of deployment ${deployment} opened: routing skips it until a trial call succeeds`, { deployment });
      else ctx.logger.info(`circuit breaker of deployment ${deployment} is ${state}`, { deployment, state });
    });
    for (const id of this.catalog.deployments.keys()) gauge.set({ deployment: id }, 0);
    const tables = { requests: ctx.table('requests'), feedback: ctx.table('feedback') };
    this.requestLog = config.feedback.trackRequests === 'off' ? undefined : new RequestLog(ctx.database, tables.requests, config.feedback, ctx.logger);
    this.feedback = new FeedbackStore(ctx.database, tables, this.requestLog);
    this.responses = new ResponseStore(ctx.database, ctx.table('responses'), config.responses.retentionDays, ctx.logger);
    this.recorder = new UsageRecorder(config, ctx.queue, this.metrics, ctx.logger, this.requestLog);
    this.engine = new Engine(config, this.metrics, ctx.tracer, ctx.logger, (call: AiCall, end: RelayEnd) => this.streamSettled(call, end));
    for (const [alias, entry] of this.catalog.entries()) {
      if (!entry.price) ctx.logger.info(`deployment ${entry.dep.id} of "${alias}" has no price; its requests will be recorded with an unknown cost`, { deployment: entry.dep.id });
    }
  }

  /** Loads the tokenizer before the first request (~100 ms at boot), so estimates never fall back to a character count. */
  async init(): Promise<void> {
    await loadTokenizer();
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
    await this.requestLog?.close().catch((err: unknown) => this.ctx.logger.error('could not flush ai requests', { err }));
    this.responses.close();
    await this.catalog.close();
  }
}

/** The ai plugin's context: `ctx.runtime` is the AiRuntime its `start` built. */
export type AiContext = PluginContext<AiConfig, AiRuntime>;
