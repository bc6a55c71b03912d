/**
 * The usage admin API: tenant scoping and roles, grouping and filters, the streamed CSV export
 * (RFC 4180 quoting and formula-injection safety) and monthly invoices.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { startTestGateway, type TestGateway } from '@aihub/core/testing';
import { USAGE_TOPIC, type UsageRecord } from '@aihub/core/plugin-api';
import usagePlugin from '../src/index';
import { createBackend, waitFor, type Backend, type BackendKind } from '@aihub/core/testing';
import { asCaller, identityPlugin } from '@aihub/core/testing';
import { probePlugin } from '@aihub/core/testing';

function record(
  over: Partial<UsageRecord> & { inputCostMicros?: number; cachedCostMicros?: number; outputCostMicros?: number },
): UsageRecord {
  return {
    requestId: `req-${Math.random().toString(36).slice(2)}`,
    timestamp: '2025-01-15T10:00:00.000Z',
    tenantId: 'ti',
    keyId: 'k1',
    userId: null,
    teamId: null,
    endpoint: 'chat.completions',
    model: 'gpt-4o',
    resolvedModel: 'gpt-4o-2024-08-06',
    provider: 'openai',
    deployment: 'd1',
    experiment: null,
    variant: null,
    promptTokens: 1000,
    completionTokens: 500,
    cachedTokens: 200,
    totalTokens: 1500,
    estimated: false,
    costMicros: 2000 + 250 + 5000,
    priced: true,
    latencyMs: 120,
    ttftMs: null,
    status: 'success',
    httpStatus: 200,
    errorCode: null,
    cacheHit: false,
    stream: false,
    ...over,
  };
}

for (const kind of ['embedded', 'postgres'] as BackendKind[]) {
  describe(`usage API (${kind})`, () => {
    let backend: Backend;
    let gw: TestGateway;
    const probe = probePlugin();
    const owner = asCaller({ tenant: 'ti', role: 'owner' });
    const get = (path: string, caller = owner) => gw.fetch(path, { headers: caller });

    before(async () => {
      backend = await createBackend(kind);
      // No tenancy plugin here: the built-in role check must protect the routes on its own.
      gw = await startTestGateway({
        plugins: [identityPlugin(), usagePlugin, probe.plugin],
        pluginConfig: { usage: { consumer: { blockMs: 50 }, api: { exportPageSize: 100 } } },
        config: backend.config,
      });
      const records: UsageRecord[] = [];
      // January 2025: gpt-4o with a cost breakdown (input $2.50/1M... as integer micros per token here).
      for (let i = 0; i < 3; i++)
        records.push(
          record({
            inputCostMicros: 2000,
            cachedCostMicros: 250,
            outputCostMicros: 5000,
            timestamp: `2025-01-0${i + 1}T23:59:59.999Z`,
          }),
        );
      // mini without a breakdown, one unpriced request.
      records.push(
        record({
          model: 'gpt-4o-mini',
          promptTokens: 100,
          completionTokens: 100,
          cachedTokens: 0,
          cacheWriteTokens: 30,
          reasoningTokens: 40,
          totalTokens: 200,
          costMicros: 300,
          timestamp: '2025-01-31T23:59:59.999Z',
        }),
      );
      records.push(
        record({ model: 'mystery', costMicros: null, priced: false, timestamp: '2025-01-20T00:00:00.000Z' }),
      );
      // February (not in January's invoice), and another tenant.
      records.push(
        record({
          timestamp: '2025-02-01T00:00:00.000Z',
          inputCostMicros: 2000,
          cachedCostMicros: 250,
          outputCostMicros: 5000,
        }),
      );
      records.push(record({ tenantId: 'other', timestamp: '2025-01-10T00:00:00.000Z' }));
      // Hostile strings for the CSV export.
      records.push(
        record({
          model: '=HYPERLINK("http://evil","x")',
          keyId: '+cmd|calc',
          userId: 'a,b "q"\nline',
          timestamp: '2025-01-05T00:00:00.000Z',
          costMicros: 1,
          inputCostMicros: 1,
          cachedCostMicros: 0,
          outputCostMicros: 0,
        }),
      );
      // An A/B alias over two models at their own prices (tenant tab): $0.15/$0.60 and $0.80/$4.00 per 1M.
      const ab = {
        tenantId: 'tab',
        model: 'ab',
        promptTokens: 1000,
        completionTokens: 100,
        cachedTokens: 0,
        totalTokens: 1100,
        timestamp: '2025-01-15T00:00:00.000Z',
      };
      for (let i = 0; i < 3; i++)
        records.push(
          record({
            ...ab,
            resolvedModel: 'gpt-4o-mini',
            provider: 'openai',
            costMicros: 150 + 60,
            inputCostMicros: 150,
            cachedCostMicros: 0,
            outputCostMicros: 60,
          }),
        );
      records.push(
        record({
          ...ab,
          resolvedModel: 'claude-3-5-haiku',
          provider: 'anthropic',
          costMicros: 800 + 400,
          inputCostMicros: 800,
          cachedCostMicros: 0,
          outputCostMicros: 400,
        }),
      );
      // Enough rows to page the export several times.
      for (let i = 0; i < 250; i++)
        records.push(
          record({
            model: 'bulk',
            keyId: 'k-bulk',
            timestamp: new Date(Date.parse('2025-01-10T00:00:00Z') + i * 1000).toISOString(),
            costMicros: 10,
            inputCostMicros: 10,
            cachedCostMicros: 0,
            outputCostMicros: 0,
            promptTokens: 10,
            completionTokens: 0,
            cachedTokens: 0,
            totalTokens: 10,
          }),
        );
      await probe.ctx().queue.publishNow(USAGE_TOPIC, records);
      await waitFor('records written', async () => {
        const r = (await probe
          .ctx()
          .database.sequelize.query('SELECT COUNT(*) AS n FROM usage_records', { type: 'SELECT' })) as { n: unknown }[];
        return Number(r[0].n) === records.length;
      });
    });

    after(async () => {
      await gw?.stop();
      await backend?.cleanup();
    });

    it('scopes every route to the caller’s tenant and checks roles', async () => {
      for (const path of [
        '/admin/v1/tenants/ti/usage',
        '/admin/v1/tenants/ti/usage/export.csv',
        '/admin/v1/tenants/ti/invoices/2025-01',
        '/admin/v1/tenants/ti/budgets',
      ]) {
        assert.equal((await gw.fetch(path)).status, 401, path);
        const cross = await get(path, asCaller({ tenant: 'other', role: 'owner' }));
        assert.equal(cross.status, 404, path);
        assert.equal(((await cross.json()) as { code: string }).code, 'tenant_not_found');
        assert.equal((await get(path, asCaller({ tenant: 'ti', role: 'viewer' }))).status, 200, path);
        assert.equal((await get(path, asCaller({ tenant: 'ti', superadmin: true }))).status, 200, path);
      }
      const noRole = await get('/admin/v1/tenants/ti/usage', asCaller({ tenant: 'ti', scopes: ['ai:invoke'] }));
      assert.equal(noRole.status, 403);
      const put = await gw.fetch('/admin/v1/tenants/ti/budgets', {
        method: 'PUT',
        headers: { ...asCaller({ tenant: 'ti', role: 'developer' }), 'content-type': 'application/json' },
        body: '{}',
      });
      assert.equal(put.status, 403);
    });

    it('groups and filters usage, and rejects bad queries with 400', async () => {
      const res = await get('/admin/v1/tenants/ti/usage?from=2025-01-01&to=2025-01-31&group_by=model');
      assert.equal(res.status, 200);
      const body = (await res.json()) as {
        totals: Record<string, number>;
        data: { model: string; requests: number; cost_micros: number; unpriced_requests: number }[];
      };
      assert.equal(body.totals.requests, 3 + 1 + 1 + 1 + 250);
      assert.deepEqual(
        body.data.map((d) => d.model),
        ['=HYPERLINK("http://evil","x")', 'bulk', 'gpt-4o', 'gpt-4o-mini', 'mystery'],
      );
      const mystery = body.data.find((d) => d.model === 'mystery')!;
      assert.equal(mystery.unpriced_requests, 1);
      assert.equal(mystery.cost_micros, 0);
      const days = (await (
        await get('/admin/v1/tenants/ti/usage?from=2025-01-01&to=2025-01-03&model=gpt-4o')
      ).json()) as { data: { day: string; requests: number }[] };
      assert.deepEqual(
        days.data.map((d) => [d.day, d.requests]),
        [
          ['2025-01-01', 1],
          ['2025-01-02', 1],
          ['2025-01-03', 1],
        ],
        'a record at 23:59:59.999 UTC belongs to its own day',
      );
      for (const q of [
        'from=2025-02-30',
        'group_by=color',
        'from=2025-03-01&to=2025-01-01',
        'from=2020-01-01&to=2025-01-01',
      ]) {
        const bad = await get(`/admin/v1/tenants/ti/usage?${q}`);
        assert.equal(bad.status, 400, q);
        assert.equal(bad.headers.get('content-type'), 'application/problem+json');
      }
    });

    it('streams the CSV export with RFC 4180 quoting and formula-injection protection', async () => {
      const res = await get('/admin/v1/tenants/ti/usage/export.csv?from=2025-01-01&to=2025-01-31');
      assert.equal(res.status, 200);
      assert.match(res.headers.get('content-type')!, /^text\/csv/);
      assert.match(
        res.headers.get('content-disposition')!,
        /attachment; filename="usage-ti-2025-01-01-2025-01-31.csv"/,
      );
      const text = await res.text();
      const lines = text.split('\r\n').filter(Boolean);
      assert.equal(lines[0].split(',')[0], 'request_id');
      // One header line + every January row of the tenant (records end with CRLF; the cell's LF stays inside quotes).
      assert.equal(lines.length, 1 + 256);
      assert.ok(text.includes(`"'=HYPERLINK(""http://evil"",""x"")"`), 'formula cell neutralized and quoted');
      assert.ok(text.includes(`"'+cmd|calc"`));
      assert.ok(text.includes('"a,b ""q""\nline"'));
      assert.ok(!text.includes(',=HYPERLINK'), 'no live formula');
      // Rows come in time order across pages.
      const times = lines
        .slice(1)
        .filter((l) => /^req-/.test(l))
        .map((l) => l.split(',')[1]);
      assert.deepEqual([...times].sort(), times);
      // Columns added later come last, so earlier columns keep their positions.
      const header = lines[0].split(',');
      assert.deepEqual(header.slice(17, 21), ['prompt_tokens', 'completion_tokens', 'cached_tokens', 'total_tokens']);
      assert.deepEqual(header.slice(-3), ['ttft_ms', 'cache_write_tokens', 'reasoning_tokens']);
      const mini = lines.map((l) => l.split(',')).find((cells) => cells[6] === 'gpt-4o-mini');
      assert.ok(mini, 'the gpt-4o-mini row is exported');
      assert.equal(mini.length, header.length);
      assert.deepEqual(mini.slice(-2), ['30', '40']);
      assert.deepEqual(
        lines
          .map((l) => l.split(','))
          .find((cells) => cells[6] === 'bulk')
          ?.slice(-2),
        ['0', '0'],
      );

      const daily = await (
        await get('/admin/v1/tenants/ti/usage/export.csv?from=2025-01-01&to=2025-01-31&granularity=day&model=bulk')
      ).text();
      const dl = daily.split('\r\n').filter(Boolean);
      assert.equal(dl.length, 2);
      assert.match(dl[1], /^2025-01-10,,k-bulk,bulk,openai,250,/);
    });

    it('invoices an alias by the model that answered, each at its own price (issue 14 item 6)', async () => {
      const inv = (await (
        await get('/admin/v1/tenants/tab/invoices/2025-01', asCaller({ tenant: 'tab', role: 'owner' }))
      ).json()) as {
        line_items: {
          model: string;
          answered_by: string;
          provider: string;
          requests: number;
          lines: { kind: string; description: string; unit_price_per_1m_micros: number | null }[];
        }[];
        totals: { amount_micros: number };
      };
      assert.deepEqual(
        inv.line_items.map((i) => [i.model, i.answered_by, i.provider, i.requests]),
        [
          ['ab', 'claude-3-5-haiku', 'anthropic', 1],
          ['ab', 'gpt-4o-mini', 'openai', 3],
        ],
      );
      const price = (answeredBy: string, kind: string) =>
        inv.line_items.find((i) => i.answered_by === answeredBy)!.lines.find((l) => l.kind === kind)!
          .unit_price_per_1m_micros;
      assert.equal(price('gpt-4o-mini', 'input'), 150_000);
      assert.equal(price('gpt-4o-mini', 'output'), 600_000);
      assert.equal(price('claude-3-5-haiku', 'input'), 800_000);
      assert.equal(price('claude-3-5-haiku', 'output'), 4_000_000);
      assert.match(inv.line_items[0].lines[0].description, /^claude-3-5-haiku \(as ab\) input tokens$/);
      assert.equal(inv.totals.amount_micros, 3 * 210 + 1200);
    });

    it('builds an invoice per month with line items by model that add up', async () => {
      const res = await get('/admin/v1/tenants/ti/invoices/2025-01');
      assert.equal(res.status, 200);
      const inv = (await res.json()) as {
        status: string;
        period_start: string;
        period_end: string;
        line_items: {
          model: string;
          requests: number;
          input_tokens: number;
          cached_input_tokens: number;
          output_tokens: number;
          amount_micros: number;
          amount_usd: string;
          lines: {
            kind: string;
            quantity_tokens: number;
            unit_price_per_1m_micros: number | null;
            amount_micros: number;
          }[];
        }[];
        totals: { amount_micros: number; amount_usd: string; unpriced_requests: number; requests: number };
        notes: string[];
      };
      assert.equal(inv.status, 'final');
      assert.equal(inv.period_start, '2025-01-01T00:00:00.000Z');
      assert.equal(inv.period_end, '2025-02-01T00:00:00.000Z');
      const g = inv.line_items.find((i) => i.model === 'gpt-4o')!;
      assert.equal(g.requests, 3);
      assert.equal(g.input_tokens, 3 * 800);
      assert.equal(g.cached_input_tokens, 3 * 200);
      assert.equal(g.output_tokens, 3 * 500);
      assert.equal(g.amount_micros, 3 * 7250);
      assert.equal(g.amount_usd, '0.021750');
      const byKind = Object.fromEntries(g.lines.map((l) => [l.kind, l]));
      assert.equal(byKind.input.unit_price_per_1m_micros, 2_500_000, '$2.50 per 1M input tokens');
      assert.equal(byKind.cached_input.unit_price_per_1m_micros, 1_250_000);
      assert.equal(byKind.output.unit_price_per_1m_micros, 10_000_000);
      for (const item of inv.line_items)
        assert.equal(
          item.lines.reduce((a, l) => a + l.amount_micros, 0),
          item.amount_micros,
          item.model,
        );
      const mini = inv.line_items.find((i) => i.model === 'gpt-4o-mini')!;
      assert.equal(mini.lines[0].kind, 'blended');
      assert.equal(mini.lines[0].unit_price_per_1m_micros, 1_500_000);
      assert.equal(
        inv.totals.amount_micros,
        inv.line_items.reduce((a, i) => a + i.amount_micros, 0),
      );
      assert.equal(inv.totals.amount_micros, 3 * 7250 + 300 + 1 + 2500);
      assert.equal(inv.totals.unpriced_requests, 1);
      assert.equal(inv.notes.length, 1);
      assert.equal(inv.totals.requests, 256);
      assert.equal((await get('/admin/v1/tenants/ti/invoices/2025-13')).status, 400);
      const current = (await (
        await get(`/admin/v1/tenants/ti/invoices/${new Date().toISOString().slice(0, 7)}`)
      ).json()) as { status: string; line_items: unknown[] };
      assert.equal(current.status, 'open');
      assert.equal(current.line_items.length, 0);
    });

    it('publishes the routes in the OpenAPI document', async () => {
      const doc = (await (await gw.fetch('/admin/v1/openapi.json')).json()) as {
        paths: Record<string, Record<string, unknown>>;
      };
      for (const p of [
        '/admin/v1/tenants/{tenantId}/usage',
        '/admin/v1/tenants/{tenantId}/usage/export.csv',
        '/admin/v1/tenants/{tenantId}/invoices/{period}',
        '/admin/v1/tenants/{tenantId}/budgets',
        '/admin/v1/tenants/{tenantId}/teams/{teamId}/budgets',
        '/admin/v1/tenants/{tenantId}/api-keys/{keyId}/budgets',
      ]) {
        assert.ok(doc.paths[p], p);
      }
      assert.ok(doc.paths['/admin/v1/tenants/{tenantId}/budgets'].put);
    });
  });
}
