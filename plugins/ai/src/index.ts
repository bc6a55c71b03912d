import { AI_CONTROL, definePlugin } from '@aihub/core/plugin-api';
import { aiConfig } from './config';
import { controlService, startControl, stopControl } from './control/control';
import { aiHealth } from './health';
import { aiHooks } from './hooks';
import { migrations } from './migrations';
import { missingApiKeys, modelsWithoutKey } from './providerKeys';
import { aiRoutes } from './routes';
import { aiVersionChanges } from './versionChanges';
import { AiRuntime } from './runtime';

/**
 * @aihub/plugin-ai: the OpenAI-compatible API (`/v1/chat/completions` with SSE streaming,
 * `/v1/embeddings`, `/v1/models`, `/v1/feedback`) in front of OpenAI, Azure OpenAI, Anthropic,
 * Ollama and a built-in mock; model aliases with weighted / least-latency / cheapest routing,
 * retries, fallbacks before the first byte, a circuit breaker per deployment, sticky A/B
 * experiments, prices and usage records, per-tenant prompt transforms and PII redaction.
 */
export default definePlugin({
  apiVersion: 'aihub.plugin/v1',
  name: 'ai',
  version: '0.1.0',
  core: '^0.1.0',
  description: 'OpenAI-compatible AI provider routing, fallbacks, circuit breakers, experiments and cost',
  config: aiConfig,
  routePrefix: '',
  hooks: aiHooks,
  routes: aiRoutes,
  health: aiHealth,
  // `aihub config validate` prints the start warning of a keyless provider too (from the file alone: a
  // key stored through the admin API is only known to a started gateway).
  configWarnings: (ctx) =>
    missingApiKeys(ctx.config, ctx.configOrigin).map((m) => ({ path: `providers.${m.provider}`, message: m.message })),
  migrations,
  // API version changes of /v1 answers (callers pinned to an older version are served through them).
  versionChanges: aiVersionChanges,
  // Drains, weights, forced breakers and fallback switches for automation (the ops plugin).
  provides: [AI_CONTROL],
  register(bind, ctx) {
    bind.bindConstant(AI_CONTROL, controlService(ctx));
  },
  async start(ctx) {
    const rt = new AiRuntime(ctx);
    await rt.init();
    await startControl(ctx, rt);
    ctx.logger.info('ai plugin started', {
      providers: Object.keys(ctx.config.providers),
      models: Object.keys(ctx.config.models),
      experiments: ctx.config.experiments.length,
    });
    // The effective catalog: a key stored through the admin API counts, as it does for routing. A key
    // the file reads from a variable is named by it (ctx.configOrigin), else by the usual one.
    const missing = missingApiKeys(rt.catalogConfig, rt.keyOrigin());
    for (const m of missing) ctx.logger.warn(m.message, { provider: m.provider, type: m.type });
    if (missing.length) {
      const models = modelsWithoutKey(rt.catalogConfig, missing);
      if (models.length)
        ctx.logger.warn(`models that cannot be served until a key is set: ${models.join(', ')}`, { models });
    }
    return rt;
  },
  // A config reload (SIGHUP, `aihub config reload`) rebuilds the catalog from the file's sections,
  // with the admin API's overlay over them; the rest of the plugin's config needs a restart.
  reloadable: ['providers', 'models', 'experiments', 'pricing'],
  reload(ctx, next) {
    ctx.runtime.reloadFile(next);
  },
  async stop(ctx) {
    await stopControl(ctx);
    await ctx.runtime.close();
  },
});

export {
  aiConfig,
  type AiConfig,
  type ProviderConfig,
  type ModelConfig,
  type ExperimentConfig,
  type PriceConfig,
} from './config';
export { redactPii, redactMessages, luhnValid, type PiiKind, type PiiRedaction, type PiiRedactionOptions } from './pii';
export { render as renderPromptTemplate } from './transforms';
export { costMicros, builtInPrice, resolvePrice, type Price } from './pricing';
export { estimatePromptTokens, countTokens } from './tokenCount';
export { murmur3 } from './routing/hash';
