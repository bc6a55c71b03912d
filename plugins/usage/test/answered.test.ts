/**
 * The invoice rollup by answering model (writer/answered.ts) on SQLite and PostgreSQL: invoices read
 * from it equal the same month grouped from the raw records (the answer before the rollup existed),
 * item by item and line by line, across month edges, aliases answered by two models, records without
 * a provider, a resolved model, a price or a cost breakdown, cache hits, other tenants, and an
 * interrupted row replaced by its late final record; and the rollup the writer keeps is row for row
 * the one the migration's backfill builds in SQL.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { createSql, num, USAGE_TOPIC, type Sql, type UsageRecord } from '@aihub/core/plugin-api';
import {
  createBackend,
  identityPlugin,
  probePlugin,
  startTestGateway,
  waitFor,
  type Backend,
  type BackendKind,
  type TestGateway,
} from '@aihub/core/testing';
import usagePlugin from '../src/index';
import { buildInvoice } from '../src/api/invoice';
import { interruptedRow, parseRecord, type UsageRow } from '../src/records';
import { rebuildAnswered } from '../src/writer/answered';
import { UsageWriter } from '../src/writer/UsageWriter';

const tables = {
  records: 'usage_records',
  daily: 'usage_daily',
  pending: 'usage_pending',
  latency: 'usage_latency',
  answered: 'usage_answered',
};
const MONTHS = ['2025-01', '2025-02', '2025-03'];
// Instants on and around the month edges (UTC), and inside the months.
const INSTANTS = [
  '2025-01-01T00:00:00.000Z',
  '2025-01-15T12:00:00.000Z',
  '2025-01-31T23:59:59.999Z',
  '2025-02-01T00:00:00.000Z',
  '2025-02-28T23:59:59.999Z',
  '2025-03-01T00:00:00.000Z',
  '2025-03-20T08:30:00.000Z',
];
const SHAPES: { model: string; resolvedModel: string | null; provider: string | null }[] = [
  { model: 'assistant', resolvedModel: 'exp-a', provider: 'openai' },
  { model: 'assistant', resolvedModel: 'exp-b', provider: 'anthropic' },
  { model: 'gpt-4o', resolvedModel: 'gpt-4o', provider: 'openai' },
  { model: 'gpt-4o', resolvedModel: null, provider: 'openai' },
  { model: 'local', resolvedModel: null, provider: null },
];

function record(i: number, tenantId: string | null): UsageRecord {
  const shape = SHAPES[i % SHAPES.length];
  const prompt = 100 + ((i * 37) % 900);
  const cached = i % 4 === 0 ? Math.floor(prompt / 3) : 0;
  const completion = (i * 13) % 400;
  // Every 7th is unpriced, every 5th priced without a breakdown, the rest itemized.
  const unpriced = i % 7 === 3;
  const blended = !unpriced && i % 5 === 2;
  const [ic, cc, oc] = [(prompt - cached) * 2, cached, completion * 8];
  return {
    requestId: `ans-${tenantId ?? 'none'}-${i}`,
    timestamp: INSTANTS[i % INSTANTS.length],
    tenantId,
    keyId: 'k',
    userId: null,
    teamId: null,
    endpoint: 'chat.completions',
    ...shape,
    deployment: 'd',
    experiment: null,
    variant: null,
    promptTokens: prompt,
    completionTokens: completion,
    cachedTokens: cached,
    totalTokens: prompt + completion,
    estimated: false,
    costMicros: unpriced ? null : ic + cc + oc + (i % 11 === 0 ? 1 : 0),
    ...(unpriced || blended ? {} : { inputCostMicros: ic, cachedCostMicros: cc, outputCostMicros: oc }),
    priced: !unpriced,
    latencyMs: 100,
    ttftMs: null,
    status: i % 9 === 0 ? 'error' : 'success',
    httpStatus: i % 9 === 0 ? 500 : 200,
    errorCode: i % 9 === 0 ? 'upstream_error' : null,
    cacheHit: i % 6 === 1,
    stream: false,
  } as UsageRecord;
}

function row(r: UsageRecord): UsageRow {
  const parsed = parseRecord(r);
  assert.equal(parsed.kind, 'final');
  return parsed.row;
}

/** The month of a tenant grouped from its raw records (how the invoice was built before the rollup). */
async function fromRecords(sql: Sql, tenantId: string, month: string) {
  const [y, m] = month.split('-').map(Number);
  const ts = (i: number) => (sql.dialect === 'postgres' ? `$${i}::timestamptz` : `$${i}`);
  const flag = (cond: string) => `SUM(CASE WHEN ${cond} THEN 1 ELSE 0 END)`;
  const rows = await sql.rows(
    `SELECT model, COALESCE(resolved_model, model) AS answered_by, COALESCE(provider, '') AS provider, COUNT(*) AS requests, ${flag('cache_hit')} AS cache_hits,
       ${flag('NOT priced')} AS unpriced, ${flag('input_cost_micros IS NOT NULL OR cached_cost_micros IS NOT NULL OR output_cost_micros IS NOT NULL')} AS breakdown,
       SUM(prompt_tokens) AS prompt, SUM(cached_tokens) AS cached, SUM(completion_tokens) AS completion, SUM(total_tokens) AS total,
       COALESCE(SUM(cost_micros), 0) AS cost, COALESCE(SUM(input_cost_micros), 0) AS ic, COALESCE(SUM(cached_cost_micros), 0) AS cc, COALESCE(SUM(output_cost_micros), 0) AS oc
     FROM usage_records WHERE tenant_id = $1 AND created_at >= ${ts(2)} AND created_at < ${ts(3)}
     GROUP BY model, COALESCE(resolved_model, model), COALESCE(provider, '') ORDER BY 1, 2, 3`,
    [tenantId, new Date(Date.UTC(y, m - 1, 1)).toISOString(), new Date(Date.UTC(y, m, 1)).toISOString()],
  );
  return rows.map((r) => {
    const requests = num(r.requests);
    const breakdown = num(r.breakdown) === requests;
    const cached = num(r.cached);
    const ic = num(r.ic);
    const cc = num(r.cc);
    const oc = num(r.oc);
    const cost = num(r.cost);
    const lines = breakdown
      ? [ic, ...(cached > 0 || cc > 0 ? [cc] : []), oc, ...(cost - ic - cc - oc !== 0 ? [cost - ic - cc - oc] : [])]
      : [cost];
    return {
      model: String(r.model),
      answered_by: String(r.answered_by),
      provider: r.provider === '' ? null : String(r.provider),
      requests,
      cache_hits: num(r.cache_hits),
      unpriced_requests: num(r.unpriced),
      input_tokens: num(r.prompt) - cached,
      cached_input_tokens: cached,
      output_tokens: num(r.completion),
      total_tokens: num(r.total),
      amount_micros: cost,
      lines,
    };
  });
}

for (const kind of ['embedded', 'postgres'] as BackendKind[]) {
  describe(`invoice rollup by answering model (${kind})`, () => {
    let backend: Backend;
    let gw: TestGateway;
    let sql: Sql;
    const probe = probePlugin();
    const records: UsageRecord[] = [];

    before(async () => {
      backend = await createBackend(kind);
      gw = await startTestGateway({
        plugins: [identityPlugin(), usagePlugin, probe.plugin],
        pluginConfig: { usage: { consumer: { blockMs: 50 } } },
        config: backend.config,
      });
      sql = createSql(probe.ctx().database);
      for (let i = 0; i < 140; i++) records.push(record(i, 'ta'));
      for (let i = 0; i < 30; i++) records.push(record(i, 'tb'), record(1000 + i, null));
      // Through the real consumer, in several batches.
      for (let i = 0; i < records.length; i += 45)
        await probe.ctx().queue.publishNow(USAGE_TOPIC, records.slice(i, i + 45));
      await waitFor(
        'records written',
        async () =>
          num((await sql.rows<{ n: unknown }>('SELECT COUNT(*) AS n FROM usage_records'))[0].n) === records.length,
      );
    });

    after(async () => {
      await gw?.stop();
      await backend?.cleanup();
    });

    it('a replaced interrupted row leaves the rollup as if only its final record had come', async () => {
      const writer = new UsageWriter(sql, tables);
      const final = row({
        ...record(7, 'ta'),
        requestId: 'ans-late',
        model: 'assistant',
        resolvedModel: 'exp-b',
        provider: 'anthropic',
      });
      // The provisional row was billed under another answering model and provider, in another month.
      const interrupted = interruptedRow({
        ...final,
        resolvedModel: 'exp-a',
        provider: 'openai',
        createdMs: Date.parse('2025-01-31T23:59:59.999Z'),
        createdAt: '2025-01-31T23:59:59.999Z',
      });
      assert.equal((await writer.write([interrupted], [])).inserted.length, 1);
      const result = await writer.write(
        [{ ...final, createdMs: interrupted.createdMs, createdAt: interrupted.createdAt }],
        [],
      );
      assert.equal(result.replaced.length, 1);
    });

    it('invoices equal the raw records grouped by model, answering model and provider', async () => {
      for (const tenant of ['ta', 'tb', 'nobody']) {
        for (const month of [...MONTHS, '2024-12']) {
          const invoice = await buildInvoice(sql, tables.answered, tenant, month, Date.parse('2025-06-01T00:00:00Z'));
          const want = await fromRecords(sql, tenant, month);
          const got = invoice.line_items.map(({ amount_usd: _usd, lines, ...rest }) => ({
            ...rest,
            lines: lines.map((l) => l.amount_micros),
          }));
          assert.deepEqual(got, want, `${tenant} ${month}`);
          assert.equal(
            invoice.totals.requests,
            want.reduce((a, w) => a + w.requests, 0),
          );
          if (tenant === 'ta' && month !== '2024-12') assert.ok(want.length >= 4, `${month}: ${want.length} items`);
        }
      }
      // Sanity of the data: both answering models of the alias are billed separately.
      const jan = await buildInvoice(sql, tables.answered, 'ta', '2025-01', Date.parse('2025-06-01T00:00:00Z'));
      assert.deepEqual(
        jan.line_items.filter((i) => i.model === 'assistant').map((i) => [i.answered_by, i.provider]),
        [
          ['exp-a', 'openai'],
          ['exp-b', 'anthropic'],
        ],
      );
    });

    it('the writer’s rollup equals the one the migration backfills in SQL', async () => {
      const read = () => sql.rows('SELECT * FROM usage_answered ORDER BY tenant_id, day, model, answered_by, provider');
      const norm = (rows: Record<string, unknown>[]) =>
        rows
          .filter((r) => num(r.requests) !== 0)
          .map((r) =>
            Object.entries(r)
              .map(([k, v]) => `${k}=${typeof v === 'string' ? v : num(v)}`)
              .join(' '),
          );
      const kept = norm(await read());
      assert.ok(kept.length > 30, `rollup rows: ${kept.length}`);
      assert.ok(!kept.some((r) => r.includes('tenant_id= ')), 'records without a tenant are not kept');
      await sql.rows('DELETE FROM usage_answered RETURNING day');
      await rebuildAnswered(sql.dialect, (statement, bind) => sql.rows(statement, bind), tables);
      assert.deepEqual(norm(await read()), kept);
    });
  });
}
