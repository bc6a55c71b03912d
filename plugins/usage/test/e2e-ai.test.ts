/**
 * End to end with the real ai plugin (and the cache plugin) in front of the bench mock upstream:
 * usage totals equal the upstream's own token counts, streams/cancels/cache hits are metered as the
 * ai plugin defines them, budgets stop requests before the upstream, and — with the usage plugin's
 * write-ahead hook — a SIGKILLed gateway loses no request that reached the upstream.
 */
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import path from 'node:path';
import readline from 'node:readline';
import { after, before, describe, it } from 'node:test';
import { createDatabase } from '@aihub/core/testing';
import type { PluginDefinition } from '@aihub/core/plugin-api';
import { startTestGateway, type TestGateway } from '@aihub/core/testing';
import aiPlugin from '@aihub/plugin-ai';
import OpenAI from 'openai';
import cachePlugin from '@aihub/plugin-cache';
import { startMockUpstream, type MockUpstream } from '../../../bench/src/mock-upstream/server';
import usagePlugin from '../src/index';
import { INTERRUPTED_CODE } from '../src/records';
import { createBackend, waitFor, type Backend, type BackendKind } from '@aihub/core/testing';
import { asCaller, identityPlugin } from '@aihub/core/testing';

const KEY = 'sk-mock-upstream-0123456789abcdef';
const aiConfig = (mock: MockUpstream) => ({
  providers: { up: { type: 'openai', baseUrl: `${mock.url}/v1`, apiKey: KEY } },
  models: { 'gpt-4o-mini': { deployments: [{ provider: 'up', model: 'gpt-4o-mini' }] } },
  retry: { maxAttempts: 1 },
});

async function rowsOf(backend: Backend, where: string) {
  const db = createDatabase({ url: backend.databaseUrl });
  try {
    return (await db.sequelize.query(`SELECT * FROM usage_records WHERE ${where}`, { type: 'SELECT' })) as Record<
      string,
      unknown
    >[];
  } finally {
    await db.close();
  }
}

for (const kind of ['embedded', 'postgres'] as BackendKind[]) {
  describe(`usage with the ai plugin (${kind})`, () => {
    let backend: Backend;
    let mock: MockUpstream;
    let gw: TestGateway;
    const chat = (caller: Record<string, string>, body: Record<string, unknown> = {}, init: RequestInit = {}) =>
      gw.fetch('/v1/chat/completions', {
        method: 'POST',
        ...init,
        headers: { 'content-type': 'application/json', ...caller },
        body: JSON.stringify({
          model: 'gpt-4o-mini',
          messages: [{ role: 'user', content: 'Meter me exactly' }],
          ...body,
        }),
      });

    before(async () => {
      backend = await createBackend(kind);
      // The kernel's SQLite test default is :memory:; a file lets this test read the rows too.
      mock = await startMockUpstream({ apiKey: KEY, completionTokens: 9, record: 0 });
      gw = await startTestGateway({
        plugins: [identityPlugin(), aiPlugin as PluginDefinition, cachePlugin as PluginDefinition, usagePlugin],
        pluginConfig: { ai: aiConfig(mock), usage: { consumer: { blockMs: 50 } } },
        config: backend.config,
      });
    });

    after(async () => {
      await gw?.stop();
      await mock?.close();
      await backend?.cleanup();
    });

    it('usage totals equal the mock upstream’s own token counts', async () => {
      const caller = asCaller({ tenant: 'te', key: 'k-e2e', team: 'green' });
      const n = 30;
      await Promise.all(
        Array.from({ length: n }, async (_, i) => {
          const res = await chat(
            caller,
            { stream: i % 3 === 0, messages: [{ role: 'user', content: `request ${i} ${'lorem '.repeat(i)}` }] },
            { headers: { 'x-aihub-cache': 'bypass' } },
          );
          assert.equal(res.status, 200, await res.clone().text());
          await res.arrayBuffer();
        }),
      );
      await waitFor('usage rows', async () => (await rowsOf(backend, "key_id = 'k-e2e'")).length === n);
      const rows = await rowsOf(backend, "key_id = 'k-e2e'");
      const sum = (f: string) => rows.reduce((a, r) => a + Number(r[f]), 0);
      assert.equal(rows.filter((r) => r.status === 'success').length, mock.stats.requests);
      assert.equal(sum('prompt_tokens'), mock.stats.promptTokens);
      assert.equal(sum('completion_tokens'), mock.stats.completionTokens);
      assert.ok(
        rows.every((r) => r.priced === true || r.priced === 1),
        'gpt-4o-mini is priced',
      );
      assert.ok(sum('cost_micros') > 0);
      const api = (await (
        await gw.fetch('/admin/v1/tenants/te/usage?group_by=model', {
          headers: asCaller({ tenant: 'te', role: 'viewer' }),
        })
      ).json()) as { totals: Record<string, number> };
      assert.equal(api.totals.prompt_tokens, mock.stats.promptTokens);
      assert.equal(api.totals.completion_tokens, mock.stats.completionTokens);
      assert.equal(api.totals.cost_micros, sum('cost_micros'));
      assert.equal(api.totals.stream_requests, 10);
    });

    it('meters a cancelled stream and a cache hit as the ai plugin records them', async () => {
      mock.setFailure({ chunkDelayMs: 100, times: 1 });
      const ac = new AbortController();
      const res = await chat(
        asCaller({ tenant: 'te', key: 'k-cancel' }),
        { stream: true },
        { signal: ac.signal, headers: { 'x-aihub-cache': 'bypass' } },
      );
      const reader = res.body!.getReader();
      await reader.read();
      ac.abort();
      await waitFor('cancelled row', async () => (await rowsOf(backend, "key_id = 'k-cancel'")).length === 1);
      const [c] = await rowsOf(backend, "key_id = 'k-cancel'");
      assert.equal(c.status, 'cancelled');
      assert.ok(Number(c.completion_tokens) < 9);

      const caller = asCaller({ tenant: 'te', key: 'k-cache' });
      const first = await chat(caller, { temperature: 0, messages: [{ role: 'user', content: 'cache me' }] });
      assert.equal(first.headers.get('x-aihub-cache'), 'miss');
      await first.arrayBuffer();
      const received = mock.stats.received;
      const hit = await chat(caller, { temperature: 0, messages: [{ role: 'user', content: 'cache me' }] });
      assert.equal(hit.headers.get('x-aihub-cache'), 'hit');
      await hit.arrayBuffer();
      assert.equal(mock.stats.received, received);
      await waitFor('cache rows', async () => (await rowsOf(backend, "key_id = 'k-cache'")).length === 2);
      const rows = await rowsOf(backend, "key_id = 'k-cache' ORDER BY created_at");
      const hitRow = rows.find((r) => r.cache_hit === true || r.cache_hit === 1)!;
      assert.ok(hitRow, 'one row is the cache hit');
      assert.equal(Number(hitRow.cost_micros), 0);
      assert.ok(Number(hitRow.prompt_tokens) > 0, 'a hit carries the cached answer’s tokens');
      // No write-ahead record is left behind by a cache hit (none was written: no upstream call).
      const pendingLeft = await (async () => {
        const db = createDatabase({ url: backend.databaseUrl });
        try {
          return Number(
            (
              (await db.sequelize.query('SELECT COUNT(*) AS n FROM usage_pending', { type: 'SELECT' })) as {
                n: unknown;
              }[]
            )[0].n,
          );
        } finally {
          await db.close();
        }
      })();
      assert.equal(pendingLeft, 0);
    });

    it('stops requests over budget before the upstream call', async () => {
      const owner = asCaller({ tenant: 'tbud', role: 'owner' });
      const put = await gw.fetch('/admin/v1/tenants/tbud/budgets', {
        method: 'PUT',
        headers: { ...owner, 'content-type': 'application/json' },
        body: JSON.stringify({ daily_hard_micros: 1 }),
      });
      assert.equal(put.status, 200);
      const caller = asCaller({ tenant: 'tbud', key: 'k-bud' });
      const ok = await chat(caller, {}, { headers: { 'x-aihub-cache': 'bypass' } });
      assert.equal(ok.status, 200);
      await ok.arrayBuffer();
      await waitFor('spend counted', async () => (await rowsOf(backend, "key_id = 'k-bud'")).length === 1);
      await new Promise((r) => setTimeout(r, 100));
      const received = mock.stats.received;
      const refused = await chat(caller, {}, { headers: { 'x-aihub-cache': 'bypass' } });
      assert.equal(refused.status, 429);
      const body = (await refused.json()) as { error: { code: string; type: string } };
      assert.equal(body.error.code, 'budget_exceeded');
      assert.equal(body.error.type, 'insufficient_quota');
      assert.equal(mock.stats.received, received, 'the upstream never saw the refused request');

      // The official SDK: a RateLimitError with the budget code, and no automatic retries.
      const rejections = async () => {
        const text = await (await gw.fetch('/metrics')).text();
        return Number(/aihub_budget_rejections_total\{level="tenant",period="daily"\} (\d+)/.exec(text)?.[1] ?? 0);
      };
      const before = await rejections();
      const client = new OpenAI({
        baseURL: `${gw.url}/v1`,
        apiKey: 'unused-by-the-test-identity',
        defaultHeaders: caller,
        maxRetries: 2,
      });
      await assert.rejects(
        client.chat.completions.create({ model: 'gpt-4o-mini', messages: [{ role: 'user', content: 'hi' }] }),
        (err: unknown) => {
          assert.ok(err instanceof OpenAI.RateLimitError);
          assert.equal(err.code, 'budget_exceeded');
          assert.equal(err.type, 'insufficient_quota');
          assert.match(err.message, /daily budget/);
          return true;
        },
      );
      assert.equal((await rejections()) - before, 1, 'x-should-retry: false stops the SDK from retrying');
    });
  });
}

describe('SIGKILL with the real ai plugin (PostgreSQL + Redis)', () => {
  let backend: Backend;
  let mock: MockUpstream;

  before(async () => {
    backend = await createBackend('postgres');
    mock = await startMockUpstream({ apiKey: KEY, completionTokens: 8, latencyMs: 15, record: 0 });
  });

  after(async () => {
    await mock?.close();
    await backend?.cleanup();
  });

  const start = (settings: unknown): Promise<{ child: ChildProcess; url: string }> => {
    const child = spawn(
      process.execPath,
      ['--conditions=aihub-source', '--import', 'tsx', path.join(__dirname, 'helpers', 'gatewayChild.ts')],
      {
        env: { ...process.env, AIHUB_TEST_CHILD: JSON.stringify(settings) },
        stdio: ['ignore', 'pipe', 'inherit'],
      },
    );
    return new Promise((resolve, reject) => {
      // The child prints one JSON line with its URL once listening; anything else on stdout before it
      // (a library's notice) is skipped rather than parsed as the URL.
      const lines = readline.createInterface({ input: child.stdout! });
      lines.on('line', (line) => {
        let url: unknown;
        try {
          url = (JSON.parse(line) as { url?: unknown }).url;
        } catch {
          return;
        }
        if (typeof url !== 'string') return;
        lines.close();
        child.stdout!.resume();
        resolve({ child, url });
      });
      child.once('exit', (code, signal) => reject(new Error(`child gateway exited with ${code ?? signal}`)));
    });
  };

  it('every request that reached the upstream is metered once', async () => {
    const settings = {
      config: backend.config,
      upstreamUrl: mock.url,
      ai: aiConfig(mock),
      usage: { consumer: { blockMs: 100, claimIdleMs: 1000 }, pending: { timeoutMs: 1500, sweepIntervalMs: 250 } },
    };
    const first = await start(settings);
    const concurrency = 24;
    let stop = false;
    const caller = asCaller({ tenant: 'tk', key: 'k-kill' });
    const loops = Array.from({ length: concurrency }, async (_, w) => {
      for (let i = 0; !stop; i++) {
        try {
          const res = await fetch(`${first.url}/v1/chat/completions`, {
            method: 'POST',
            headers: { 'content-type': 'application/json', ...caller },
            body: JSON.stringify({
              model: 'gpt-4o-mini',
              stream: (w + i) % 3 === 0,
              messages: [{ role: 'user', content: 'kill me' }],
            }),
          });
          await res.arrayBuffer();
        } catch {
          await new Promise((r) => setTimeout(r, 20));
        }
      }
    });
    // Generous bounds: CI runs two test files at once on two cores, and this test only asserts counts.
    await waitFor('load', () => mock.stats.requests >= 150, 60_000);
    assert.equal(first.child.exitCode, null, 'the first gateway is still running when it is killed');
    const exited = new Promise((r) => first.child.once('exit', r));
    first.child.kill('SIGKILL');
    await exited;
    stop = true;
    await Promise.all(loops);
    // Every call the upstream took has ended (answered, or aborted by the killed gateway's sockets).
    await waitFor('upstream quiet', () => mock.stats.inFlight === 0, 15_000);
    const seen = `upstream received ${mock.stats.received}, served ${mock.stats.requests}, aborted ${mock.stats.aborted}`;
    const second = await start(settings);
    try {
      const db = createDatabase({ url: backend.databaseUrl });
      try {
        const q = async <T>(sql: string) => (await db.sequelize.query(sql, { type: 'SELECT' })) as T[];
        await waitFor(
          'write-ahead records settled',
          async () =>
            Number((await q<{ n: string }>('SELECT COUNT(*) AS n FROM usage_pending'))[0].n) === 0 &&
            Number((await q<{ n: string }>("SELECT COUNT(*) AS n FROM usage_records WHERE tenant_id = 'tk'"))[0].n) >=
              mock.stats.received,
          60_000,
          200,
        ).catch(async (err: Error) => {
          const pending = (await q<{ n: string }>('SELECT COUNT(*) AS n FROM usage_pending'))[0].n;
          const rows = (await q<{ n: string }>("SELECT COUNT(*) AS n FROM usage_records WHERE tenant_id = 'tk'"))[0].n;
          throw new Error(`${err.message} (${seen}; ${rows} rows, ${pending} pending)`);
        });
        await new Promise((r) => setTimeout(r, 500));
        const rows = await q<{ request_id: string; status: string; error_code: string | null }>(
          "SELECT request_id, status, error_code FROM usage_records WHERE tenant_id = 'tk'",
        );
        const counts = `${seen}; ${rows.length} rows`;
        assert.equal(new Set(rows.map((r) => r.request_id)).size, rows.length, `no duplicates (${counts})`);
        const success = rows.filter((r) => r.status === 'success').length;
        const interrupted = rows.filter((r) => r.error_code === INTERRUPTED_CODE).length;
        assert.ok(rows.length >= mock.stats.received, `every request the upstream received has a row (${counts})`);
        assert.ok(
          rows.length - mock.stats.received <= concurrency,
          `extra rows only for requests in flight at the kill (${counts})`,
        );
        assert.ok(success <= mock.stats.requests, `no more successes than the upstream served (${success}; ${counts})`);
        assert.ok(interrupted >= 1, `requests in flight at the kill are billed as interrupted (${counts})`);
        console.log(
          `ai kill test: upstream received ${mock.stats.received}, served ${mock.stats.requests}; rows ${rows.length} (success ${success}, interrupted ${interrupted}, other ${rows.length - success - interrupted})`,
        );
      } finally {
        await db.close();
      }
    } finally {
      second.child.kill('SIGTERM');
      await new Promise((r) => second.child.once('exit', r));
    }
  });
});
