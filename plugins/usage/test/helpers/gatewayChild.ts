/**
 * A gateway in its own process for the kill test: identity + test ai route + usage on the given
 * PostgreSQL and Redis. Reads its settings from AIHUB_TEST_CHILD (JSON) and prints one JSON line
 * `{"url": …}` once listening. The test SIGKILLs it.
 */
import { startTestGateway } from '@aihub/core/testing';
import type { PluginDefinition } from '@aihub/core/plugin-api';
import aiPlugin from '@aihub/plugin-ai';
import usagePlugin from '../../src/index';
import { fakeAiPlugin } from './fakeAi';
import { identityPlugin } from '@aihub/core/testing';

interface ChildSettings {
  config: Record<string, unknown>;
  upstreamUrl: string;
  usage: Record<string, unknown>;
  /** Config of the real ai plugin; without it the test ai route plays the part. */
  ai?: Record<string, unknown>;
}

async function main(): Promise<void> {
  const settings = JSON.parse(process.env.AIHUB_TEST_CHILD ?? '{}') as ChildSettings;
  const ai = settings.ai
    ? (aiPlugin as PluginDefinition)
    : fakeAiPlugin({ upstreamUrl: settings.upstreamUrl, forwardRequestId: true });
  const gw = await startTestGateway({
    plugins: [identityPlugin(), ai, usagePlugin],
    pluginConfig: { usage: settings.usage, ...(settings.ai ? { ai: settings.ai } : {}) },
    config: settings.config,
  });
  process.stdout.write(`${JSON.stringify({ url: gw.url })}\n`);
  process.once('SIGTERM', () => void gw.stop().then(() => process.exit(0)));
}

main().catch((err: Error) => {
  process.stderr.write(`child gateway failed: ${err.stack}\n`);
  process.exit(1);
});
