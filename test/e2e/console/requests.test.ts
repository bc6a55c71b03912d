/**
 * The request explorer (issue 16 screen 10) and the playground's cost and link (screen 5) in chromium
 * against a real gateway on PostgreSQL + Redis with the bench mock upstream, made to fail for one
 * deployment: the explorer lists the same requests, and their cost adds up to the same total, as the
 * usage API for the same UTC range; filters in the URL survive a reload; the detail drawer shows the
 * retry and the fallback of a failing deployment, then the skip once its breaker is open; the
 * dashboard shows the gateway overhead percentiles of the summary; the playground shows a chat's
 * metered cost and links to it in the explorer; a request refused before routing (unknown model) is
 * listed, filtered by its error code, and counted in the overview's error rate; the drawer shows
 * cache-write and reasoning tokens only when a request has them. axe-core on the screen and the open
 * drawers.
 */
import assert from 'node:assert/strict';
import { createServer, type Server } from 'node:http';
import { after, before, describe, test } from 'node:test';
import type { Page } from 'playwright-core';
import usage from '@aihub/plugin-usage';
import { startMockUpstream, type MockUpstream } from '../../../bench/src/mock-upstream/server';
import { USAGE_TOPIC, type UsageRecord } from '@aihub/core/plugin-api';
import { probePlugin } from '@aihub/core/testing';
import { startConsoleEnv, waitUntil, type ConsoleEnv } from './harness';

const KEY = 'sk-mock-upstream-0123456789abcdef';
/** A caller's sampled trace: the gateway follows it, so the request's trace id is known. */
const TRACE_ID = '0af7651916cd43dd8448eb211c80319c';
const TRACE_URL = 'http://jaeger.example:16686/trace/{traceId}';

/** An OTLP/HTTP endpoint that accepts and drops spans (the gateway exports the traced request's). */
async function otlpSink(): Promise<Server> {
  const server = createServer((req, res) => {
    req.resume();
    req.on('end', () => res.writeHead(200, { 'content-type': 'application/x-protobuf' }).end());
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return server;
}
const day = (offset = 0) => new Date(Date.now() + offset * 86_400_000).toISOString().slice(0, 10);

interface ListPage {
  data: { request_id: string; cost_micros: number | null; model: string }[];
  next_cursor: string | null;
}

describe('console: request explorer', () => {
  let env: ConsoleEnv;
  let mock: MockUpstream;
  let sink: Server;
  let traced: string;
  let key: string;
  let page: Page;
  /** The two requests to the failing alias, in the order they were sent. */
  const flaky: string[] = [];
  const from = `${day()}T00:00:00.000Z`;
  const to = `${day(1)}T00:00:00.000Z`;

  const chat = async (model: string, content: string, headers: Record<string, string> = {}): Promise<Response> => {
    const res = await fetch(`${env.url}/v1/chat/completions`, {
      method: 'POST',
      headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json', ...headers },
      body: JSON.stringify({ model, messages: [{ role: 'user', content }] }),
    });
    assert.equal(res.status, 200, await res.clone().text());
    await res.arrayBuffer();
    return res;
  };
  const rows = () => page.locator('[data-testid=rq-table] tbody tr');
  /** Publishes usage records as the gateway would (for token kinds the mock upstream never reports). */
  const probe = probePlugin();

  before(async () => {
    mock = await startMockUpstream({ apiKey: KEY, completionTokens: 7, record: 0 });
    sink = await otlpSink();
    env = await startConsoleEnv({
      plugins: [usage, probe.plugin],
      // Tracing on, new traces never sampled: only a caller's sampled trace is recorded.
      config: {
        telemetry: {
          tracing: {
            endpoint: `http://127.0.0.1:${(sink.address() as { port: number }).port}/v1/traces`,
            sampleRatio: 0,
          },
        },
      },
      pluginConfig: {
        console: { traceUrl: TRACE_URL },
        usage: { consumer: { blockMs: 50 } },
        ai: {
          providers: { up: { type: 'openai', baseUrl: `${mock.url}/v1`, apiKey: KEY } },
          models: {
            'gpt-4o-mini': { deployments: [{ provider: 'up', model: 'gpt-4o-mini', name: 'steady' }] },
            // A deployment that always fails; its alias falls back to gpt-4o-mini's.
            flaky: {
              deployments: [{ provider: 'up', model: 'broken-model', name: 'flaky-primary' }],
              fallbacks: ['gpt-4o-mini'],
            },
          },
          pricing: { 'gpt-4o-mini': { input: 150, output: 600 } },
          retry: { maxAttempts: 2, baseDelayMs: 1, maxDelayMs: 2 },
          breaker: { volumeThreshold: 2, errorThresholdPercentage: 50, resetTimeoutMs: 600_000 },
        },
      },
    });
    mock.setFailure({ status: 503, times: 0, match: { model: 'broken-model' } });
    key = (
      await env.api<{ key: string; id: string }>('POST', `/admin/v1/tenants/${env.tenantId}/api-keys`, {
        name: 'explorer',
        scopes: ['ai:invoke'],
      })
    ).key;
    for (const q of ['one', 'two', 'three', 'four', 'five']) await chat('gpt-4o-mini', `explorer ${q}`);
    // The first retries and falls back (opening the breaker); the second skips the open breaker.
    for (const q of ['first', 'second']) flaky.push((await chat('flaky', `flaky ${q}`)).headers.get('x-request-id')!);
    traced = (await chat('gpt-4o-mini', 'traced', { traceparent: `00-${TRACE_ID}-b7ad6b7169203331-01` })).headers.get(
      'x-request-id',
    )!;
    const deadline = Date.now() + 20_000;
    while ((await usageTotals()).requests < 8) {
      assert.ok(Date.now() < deadline, 'usage records did not arrive');
      await new Promise((r) => setTimeout(r, 200));
    }
    page = await env.newPage();
    await env.signIn(page, env.admin, '/home');
  });
  after(async () => {
    await env?.stop();
    await mock?.close();
    sink?.close();
  });

  const usageTotals = async () =>
    (
      await env.api<{ totals: { requests: number; cost_micros: number } }>(
        'GET',
        `/admin/v1/tenants/${env.tenantId}/usage?from=${day()}&to=${day()}`,
      )
    ).totals;

  test('lists the usage API’s requests and cost for the same UTC range', async () => {
    const totals = await usageTotals();
    const api = await env.api<ListPage>(
      'GET',
      `/admin/v1/tenants/${env.tenantId}/requests?from=${from}&to=${to}&limit=100`,
    );
    await env.navigate(page, `/requests?from=${encodeURIComponent(from)}&to=${encodeURIComponent(to)}&limit=50`);
    await page.waitForSelector('[data-testid=rq-table] tbody tr');
    const shown = await rows().evaluateAll((trs) => trs.map((tr) => tr.getAttribute('data-request-id')));
    assert.deepEqual(
      shown,
      api.data.map((r) => r.request_id),
      'the same requests, newest first',
    );
    assert.equal(shown.length, totals.requests);
    const micros = await page
      .locator('[data-testid=rq-table] td[data-micros]')
      .evaluateAll((tds) => tds.reduce((s, td) => s + Number(td.getAttribute('data-micros')), 0));
    assert.equal(micros, totals.cost_micros, 'the listed costs add up to the usage total');
    assert.ok(totals.cost_micros > 0);
    // The key column names the key (the API's key_name), with its id beside it.
    const keyCells = await page.locator('[data-testid=rq-key-cell]').allInnerTexts();
    assert.equal(keyCells.length, api.data.length);
    assert.ok(
      keyCells.every((text) => text.includes('explorer')),
      `key names shown: ${keyCells.join(' | ')}`,
    );
    // One precision rule for the cost column: no "$0.00" beside "$0.000006" (a zero is "$0").
    const costTexts = await page.locator('[data-testid=rq-table] td[data-micros]').allInnerTexts();
    assert.ok(!costTexts.some((text) => text.trim() === '$0.00'), `costs shown: ${costTexts.join(' | ')}`);
    await env.checkA11y(page, 'requests');
  });

  test('filters live in the URL and survive a reload', async () => {
    await env.navigate(page, '/requests');
    await page.waitForSelector('[data-testid=rq-table] tbody tr');
    await page.fill('[data-testid=rq-model]', 'flaky');
    await page.fill('[data-testid=rq-min-latency]', '0');
    await page.click('[data-testid=rq-apply]');
    await page.waitForURL(/model=flaky/);
    assert.match(page.url(), /min_latency_ms=0/);
    await waitUntil(() => page.locator('[data-testid=rq-table] tbody tr').count(), 2, 'filtered request rows');
    // A reload (the app starts again, signed in by the authorization server's session) shows the same.
    await page.reload();
    await page.waitForSelector('[data-testid=rq-table] tbody tr');
    assert.equal(await page.inputValue('[data-testid=rq-model]'), 'flaky');
    assert.deepEqual(
      await rows().evaluateAll((trs) => trs.map((tr) => tr.getAttribute('data-request-id'))),
      [...flaky].reverse(),
    );
  });

  test('a request refused before routing is listed, found by its error code, and counted in the error rate', async () => {
    const before = (await usageTotals()).requests;
    const refused = await fetch(`${env.url}/v1/chat/completions`, {
      method: 'POST',
      headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json' },
      body: JSON.stringify({ model: 'no-such-model', messages: [{ role: 'user', content: 'refused' }] }),
    });
    assert.equal(refused.status, 404);
    assert.equal(((await refused.json()) as { error: { code: string } }).error.code, 'model_not_found');
    const id = refused.headers.get('x-request-id')!;
    await waitUntil(async () => (await usageTotals()).requests, before + 1, 'the refusal recorded');
    // Filtered by status and error code in the URL: only the refusal, with its code beside the status.
    await env.navigate(page, '/requests?status=error&error_code=model_not_found');
    await waitUntil(
      () => rows().evaluateAll((trs) => trs.map((tr) => tr.getAttribute('data-request-id')).join()),
      id,
      'the refused request alone',
    );
    assert.equal(await page.inputValue('[data-testid=rq-error-code]'), 'model_not_found');
    assert.match(await rows().first().innerText(), /no-such-model/);
    assert.equal(await page.locator('[data-testid=rq-error]').innerText(), 'model_not_found');
    // Its drawer: HTTP 404 with the code, no upstream attempt, nothing spent.
    await page.click(`[data-testid=rq-table] tr[data-request-id="${id}"] td:nth-child(3)`);
    await page.waitForSelector(`[data-testid=rq-detail-id]:text("${id}")`);
    assert.match(await page.locator('[data-testid=rq-drawer]').innerText(), /HTTP 404 · model_not_found/);
    assert.match(
      await page.locator('[data-testid=rq-drawer]').innerText(),
      /No upstream attempt \(stopped before routing\)/,
    );
    assert.equal(Number(await page.locator('[data-testid=rq-detail-cost]').getAttribute('data-micros')), 0);
    await env.checkA11y(page, 'refused request drawer');
    await page.keyboard.press('Escape');
    await page.waitForURL((u) => !u.search.includes('request='));
    // The overview's error rate is the summary's, and the summary counts the refusal.
    const summary = await env.api<{ requests: number; error_requests: number; error_rate: number }>(
      'GET',
      `/admin/v1/tenants/${env.tenantId}/usage/summary?from=${day()}&to=${day()}`,
    );
    assert.ok(summary.error_requests >= 1);
    assert.equal(summary.requests, before + 1);
    await env.navigate(page, `/overview?from=${day()}&to=${day()}`);
    await waitUntil(
      async () => Number(await page.locator('[data-testid=ov-requests]').getAttribute('data-value')),
      summary.requests,
      'overview requests',
    );
    assert.equal(
      Number(await page.locator('[data-testid=ov-error-rate]').getAttribute('data-value')),
      summary.error_rate,
    );
  });

  test('the drawer shows the retry and fallback, then the breaker skip; Esc closes it', async () => {
    await env.navigate(page, '/requests?model=flaky');
    await page.waitForSelector(`[data-testid=rq-table] tr[data-request-id="${flaky[0]}"]`);
    await page.click(`[data-testid=rq-table] tr[data-request-id="${flaky[0]}"] td:nth-child(3)`);
    await page.waitForSelector('[data-testid=rq-attempts] tbody tr');
    assert.match(page.url(), new RegExp(`request=${flaky[0]}`));
    const attempts = () =>
      page
        .locator('[data-testid=rq-attempts] tbody tr')
        .evaluateAll((trs) =>
          trs.map((tr) => [
            tr.getAttribute('data-deployment'),
            tr.getAttribute('data-outcome'),
            tr.getAttribute('data-next'),
          ]),
        );
    assert.deepEqual(await attempts(), [
      ['flaky-primary', 'error', 'retry'],
      ['flaky-primary', 'error', 'fallback'],
      ['steady', 'success', ''],
    ]);
    const detail = await env.api<{
      cost_micros: number;
      overhead_ms: number;
      total_tokens: number;
      cache_write_tokens: number;
      reasoning_tokens: number;
    }>('GET', `/admin/v1/tenants/${env.tenantId}/requests/${flaky[0]}`);
    assert.equal(
      Number(await page.locator('[data-testid=rq-detail-cost]').getAttribute('data-micros')),
      detail.cost_micros,
    );
    assert.equal(
      Number(await page.locator('[data-testid=rq-detail-overhead]').getAttribute('data-value')),
      detail.overhead_ms,
    );
    assert.equal(
      Number(await page.locator('[data-testid=rq-detail-tokens]').getAttribute('data-value')),
      detail.total_tokens,
    );
    // Cache-write and reasoning tokens are shown only when the request had some.
    assert.equal(
      await page.locator('[data-testid=rq-detail-cache-write]').count(),
      detail.cache_write_tokens > 0 ? 1 : 0,
    );
    assert.equal(await page.locator('[data-testid=rq-detail-reasoning]').count(), detail.reasoning_tokens > 0 ? 1 : 0);
    assert.match(await page.locator('[data-testid=rq-trace]').innerText(), /Not traced/);
    // Focus is inside the drawer (a modal dialog), and axe finds nothing serious with it open.
    await page.locator('[data-testid=rq-drawer] :focus').first().waitFor({ timeout: 5000 });
    await env.checkA11y(page, 'request drawer');
    await page.keyboard.press('Escape');
    await page.waitForURL((u) => !u.search.includes('request='));

    // The second request skipped the open breaker and went straight to the fallback.
    await page.click(`[data-testid=rq-table] tr[data-request-id="${flaky[1]}"] td:nth-child(3)`);
    await page.waitForSelector(`[data-testid=rq-detail-id]:text("${flaky[1]}")`);
    await page.waitForSelector('[data-testid=rq-attempts] tbody tr');
    assert.deepEqual(await attempts(), [
      ['flaky-primary', 'breaker_open', 'fallback'],
      ['steady', 'success', ''],
    ]);
    assert.match(await page.locator('[data-testid=rq-attempts]').innerText(), /Skipped: breaker open/);
    // A deep link opens the drawer directly.
    await page.reload();
    await page.waitForSelector('[data-testid=rq-attempts] tbody tr');
    assert.equal(await page.locator('[data-testid=rq-detail-id]').innerText(), flaky[1]);
  });

  test('a traced request links to its trace with console.traceUrl; an untraced one says so', async () => {
    await env.navigate(page, `/requests?request=${traced}`);
    await page.waitForSelector('[data-testid=rq-trace-link]');
    assert.equal(
      await page.locator('[data-testid=rq-trace-link]').getAttribute('href'),
      TRACE_URL.replace('{traceId}', TRACE_ID),
    );
    assert.equal(await page.locator('[data-testid=rq-trace-link]').getAttribute('rel'), 'noopener noreferrer');
    await page.keyboard.press('Escape');
    await page.waitForURL((u) => !u.search.includes('request='));
    await env.navigate(page, `/requests?request=${flaky[1]}`);
    await page.waitForSelector(`[data-testid=rq-detail-id]:text("${flaky[1]}")`);
    assert.equal(await page.locator('[data-testid=rq-trace-link]').count(), 0);
    assert.match(await page.locator('[data-testid=rq-trace]').innerText(), /Not traced/);
  });

  test('the dashboard shows the summary’s gateway overhead percentiles', async () => {
    const summary = await env.api<{ overhead: { p50_ms: number; p95_ms: number; measured_requests: number } }>(
      'GET',
      `/admin/v1/tenants/${env.tenantId}/usage/summary?from=${day()}&to=${day()}`,
    );
    assert.ok(summary.overhead.measured_requests >= 8);
    await env.navigate(page, `/overview?from=${day()}&to=${day()}`);
    await page.waitForSelector('[data-testid=ov-overhead]');
    assert.equal(
      Number(await page.locator('[data-testid=ov-overhead]').getAttribute('data-p50')),
      summary.overhead.p50_ms,
    );
    assert.equal(
      Number(await page.locator('[data-testid=ov-overhead]').getAttribute('data-p95')),
      summary.overhead.p95_ms,
    );
  });

  test('the playground shows a chat’s metered cost and opens it in the explorer', async () => {
    await env.navigate(page, '/playground');
    await page.fill('[data-testid=pg-key]', key);
    await page.click('[data-testid=pg-load-models]');
    await page.waitForURL(/model=/);
    await page.click('[data-testid=pg-model]');
    await page.click('mat-option:has-text("gpt-4o-mini")');
    await page.fill('[data-testid=pg-message]', 'What does this cost?');
    await page.click('[data-testid=pg-send]');
    await page.waitForSelector('[data-testid=pg-cost][data-micros]', { timeout: 20_000 });
    const id = await page.locator('[data-testid=pg-request-id]').innerText();
    const detail = await env.api<{ cost_micros: number }>('GET', `/admin/v1/tenants/${env.tenantId}/requests/${id}`);
    assert.equal(Number(await page.locator('[data-testid=pg-cost]').getAttribute('data-micros')), detail.cost_micros);
    assert.ok(detail.cost_micros > 0);
    await page.click('[data-testid=pg-explorer-link]');
    await page.waitForSelector('[data-testid=rq-detail-id]');
    assert.equal(await page.locator('[data-testid=rq-detail-id]').innerText(), id);
    assert.equal(
      Number(await page.locator('[data-testid=rq-detail-cost]').getAttribute('data-micros')),
      detail.cost_micros,
    );
    assert.deepEqual(env.pageErrors, []);
  });

  test('the drawer shows cache-write and reasoning tokens when a request has them', async () => {
    const requestId = `req-token-kinds-${Date.now()}`;
    const record: UsageRecord = {
      requestId,
      timestamp: new Date().toISOString(),
      tenantId: env.tenantId,
      keyId: null,
      userId: null,
      teamId: null,
      endpoint: 'messages',
      model: 'claude-sonnet',
      resolvedModel: 'claude-sonnet',
      provider: 'anthropic',
      deployment: 'claude',
      experiment: null,
      variant: null,
      promptTokens: 1200,
      completionTokens: 800,
      cachedTokens: 0,
      cacheWriteTokens: 1024,
      reasoningTokens: 512,
      totalTokens: 2000,
      estimated: false,
      costMicros: null,
      priced: false,
      latencyMs: 900,
      ttftMs: null,
      status: 'success',
      httpStatus: 200,
      errorCode: null,
      cacheHit: false,
      stream: false,
      attempts: [],
      attemptCount: 1,
    };
    await probe.ctx().queue.publishNow(USAGE_TOPIC, [record]);
    await waitUntil(
      async () =>
        (
          await env.api<{ data: { request_id: string }[] }>(
            'GET',
            `/admin/v1/tenants/${env.tenantId}/requests?model=claude-sonnet`,
          )
        ).data.length,
      1,
      'the published record is stored',
    );
    await env.navigate(page, `/requests?model=claude-sonnet&request=${requestId}`);
    await page.waitForSelector(`[data-testid=rq-detail-id]:text("${requestId}")`);
    await page.waitForSelector('[data-testid=rq-detail-reasoning]');
    assert.equal(Number(await page.locator('[data-testid=rq-detail-cache-write]').getAttribute('data-value')), 1024);
    assert.equal(Number(await page.locator('[data-testid=rq-detail-reasoning]').getAttribute('data-value')), 512);
    assert.match(
      await page.locator('[data-testid=rq-detail-tokens]').innerText(),
      /1,024 of the input written to the prompt cache[\s\S]*512 of the output spent on reasoning/,
    );
    await page.keyboard.press('Escape');
  });
});
