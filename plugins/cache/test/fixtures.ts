/**
 * Test fixtures of the cache suites. The identity and fake-upstream plugins are shared with the
 * rate-limit tests (core contracts only); this adds a sink that records what reaches USAGE_TOPIC
 * and the AiCallKey each request ended with.
 */
import {
  AiCallKey,
  USAGE_TOPIC,
  definePlugin,
  type AiCallInfo,
  type PluginDefinition,
  type UsageRecord,
} from '@aihub/core/plugin-api';

export {
  fakeAiPlugin,
  identityPlugin,
  readSse,
  type FakeAi,
  type IdentityFixture,
} from '../../rate-limit/test/fixtures/plugins';
export {
  BACKENDS,
  createBackend,
  deleteRedisPrefix,
  REDIS_URL,
  type Backend,
} from '../../rate-limit/test/fixtures/backends';

export interface UsageSink {
  plugin: PluginDefinition;
  records: UsageRecord[];
  /** AiCallKey of each finished request, by x-request-id. */
  calls: Map<string, AiCallInfo | undefined>;
}

export function usageSink(): UsageSink {
  const records: UsageRecord[] = [];
  const calls = new Map<string, AiCallInfo | undefined>();
  let stop: (() => Promise<void>) | undefined;
  const plugin = definePlugin({
    apiVersion: 'aihub.plugin/v1',
    name: 'test-usage-sink',
    version: '0.0.0',
    core: '*',
    hooks: [
      {
        phase: 'response.log',
        handle: (c) => {
          calls.set((c.state as { requestId: string }).requestId, AiCallKey.get(c));
        },
      },
    ],
    start(ctx) {
      const sub = ctx.queue.consume<UsageRecord>(USAGE_TOPIC, { group: 'test-sink', blockMs: 50 }, async (messages) => {
        for (const m of messages) records.push(m.payload);
      });
      stop = () => sub.stop();
    },
    async stop() {
      await stop?.();
    },
  });
  return { plugin, records, calls };
}

export const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Polls `check` every 20 ms for up to `ms`. */
export async function eventually(check: () => boolean, ms = 3000): Promise<void> {
  const deadline = Date.now() + ms;
  while (!check()) {
    if (Date.now() > deadline) throw new Error('condition not met in time');
    await sleep(20);
  }
}
