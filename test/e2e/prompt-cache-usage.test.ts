/**
 * Prompt-cache and reasoning tokens end to end: an Anthropic-speaking and a Gemini-speaking upstream
 * report cache writes, cache reads and thinking tokens; the usage row (SQLite and PostgreSQL) keeps
 * them apart and its cost prices each kind at its own rate.
 */
import assert from 'node:assert/strict';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, before, describe, it } from 'node:test';
import type { PluginDefinition } from '@aihub/core/plugin-api';
import {
  asCaller,
  createBackend,
  createDatabase,
  identityPlugin,
  startTestGateway,
  waitFor,
  type Backend,
  type BackendKind,
  type TestGateway,
} from '@aihub/core/testing';
import ai from '@aihub/plugin-ai';
import usage from '@aihub/plugin-usage';

/** Anthropic: 100 plain + 600 written + 2000 read prompt tokens; Gemini: 1000 prompt (800 cached), 50 + 30 thinking output. */
function startUpstream(): Promise<{ url: string; close(): Promise<void> }> {
  const server = http.createServer((req, res) => {
    req.resume();
    req.on('end', () => {
      res.writeHead(200, { 'content-type': 'application/json' });
      if (req.url === '/v1/messages') {
        res.end(
          JSON.stringify({
            id: 'msg_1',
            type: 'message',
            role: 'assistant',
            model: 'claude-x',
            content: [{ type: 'text', text: 'ok' }],
            stop_reason: 'end_turn',
            usage: {
              input_tokens: 100,
              cache_creation_input_tokens: 600,
              cache_creation: { ephemeral_5m_input_tokens: 400, ephemeral_1h_input_tokens: 200 },
              cache_read_input_tokens: 2000,
              output_tokens: 50,
            },
          }),
        );
      } else {
        res.end(
          JSON.stringify({
            candidates: [{ content: { role: 'model', parts: [{ text: 'ok' }] }, finishReason: 'STOP' }],
            usageMetadata: {
              promptTokenCount: 1000,
              cachedContentTokenCount: 800,
              candidatesTokenCount: 50,
              thoughtsTokenCount: 30,
            },
          }),
        );
      }
    });
  });
  return new Promise((resolve) =>
    server.listen(0, '127.0.0.1', () =>
      resolve({
        url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
        close: () => new Promise<void>((r) => server.close(() => r())),
      }),
    ),
  );
}

for (const kind of ['embedded', 'postgres'] as BackendKind[]) {
  describe(`prompt-cache and reasoning tokens in usage rows (${kind})`, () => {
    let backend: Backend;
    let up: { url: string; close(): Promise<void> };
    let gw: TestGateway;
    const caller = asCaller({ tenant: 'tc', key: 'k-cache-prices' });

    before(async () => {
      backend = await createBackend(kind);
      up = await startUpstream();
      gw = await startTestGateway({
        plugins: [identityPlugin(), ai as PluginDefinition, usage as PluginDefinition],
        pluginConfig: {
          ai: {
            providers: {
              claude: { type: 'anthropic', baseUrl: up.url, apiKey: 'k' },
              gem: { type: 'gemini', baseUrl: `${up.url}/v1beta`, apiKey: 'k' },
            },
            models: {
              // USD per 1M tokens, so costs are easy to check by hand.
              claude: {
                deployments: [
                  {
                    provider: 'claude',
                    model: 'claude-x',
                    priceOverride: { input: 3, output: 15, cachedInput: 0.3, cacheWrite: 3.75, cacheWrite1h: 6 },
                  },
                ],
              },
              gem: {
                deployments: [
                  {
                    provider: 'gem',
                    model: 'gemini-x',
                    priceOverride: { input: 1.25, output: 10, cachedInput: 0.125 },
                  },
                ],
              },
            },
            retry: { maxAttempts: 1 },
          },
          usage: { consumer: { blockMs: 50 } },
        },
        config: backend.config,
      });
    });

    after(async () => {
      await gw?.stop();
      await up?.close();
      await backend?.cleanup();
    });

    async function row(model: string): Promise<Record<string, unknown>> {
      const res = await gw.fetch('/v1/chat/completions', {
        method: 'POST',
        headers: { ...caller, 'content-type': 'application/json' },
        body: JSON.stringify({ model, messages: [{ role: 'user', content: 'hi' }] }),
      });
      assert.equal(res.status, 200, await res.clone().text());
      const id = res.headers.get('x-request-id')!;
      await res.arrayBuffer();
      const db = createDatabase({ url: backend.databaseUrl });
      try {
        let found: Record<string, unknown> | undefined;
        await waitFor('usage row', async () => {
          const rows = (await db.sequelize.query('SELECT * FROM usage_records WHERE request_id = :id', {
            replacements: { id },
            type: 'SELECT',
          })) as Record<string, unknown>[];
          found = rows[0];
          return found !== undefined;
        });
        return found!;
      } finally {
        await db.close();
      }
    }

    it('anthropic: cache writes (5-minute and 1-hour) and reads each at their rate, the writes counted apart', async () => {
      const r = await row('claude');
      assert.equal(Number(r.prompt_tokens), 2700);
      assert.equal(Number(r.cached_tokens), 2000);
      assert.equal(Number(r.cache_write_tokens), 600);
      // 100 × 3 + 400 × 3.75 + 200 × 6 = 3000 input, 2000 × 0.3 = 600 cached, 50 × 15 = 750 output.
      assert.equal(Number(r.input_cost_micros), 3000);
      assert.equal(Number(r.cached_cost_micros), 600);
      assert.equal(Number(r.cost_micros), 4350);
    });

    it('gemini: cached content at its rate, thinking tokens counted and priced as output', async () => {
      const r = await row('gem');
      assert.equal(Number(r.prompt_tokens), 1000);
      assert.equal(Number(r.cached_tokens), 800);
      assert.equal(Number(r.completion_tokens), 80);
      assert.equal(Number(r.reasoning_tokens), 30);
      assert.equal(Number(r.cache_write_tokens), 0);
      // 200 × 1.25 + 800 × 0.125 + 80 × 10.
      assert.equal(Number(r.cost_micros), 250 + 100 + 800);
    });
  });
}
