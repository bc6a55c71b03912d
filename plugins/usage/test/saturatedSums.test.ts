/**
 * Reads that sum rollup rows (the usage API's totals and series, the overview summary, budget spend,
 * invoices, the spend reconciler) over rows at the rollups' maximum (ROLLUP_MAX, 2^53 − 1), on
 * PostgreSQL and the embedded default. SQLite's SUM() raised "integer overflow" once a read summed
 * ~1,024 such rows past 2^63 − 1 (the route answered 500, the reconciler never reset the counters);
 * PostgreSQL's NUMERIC sum came back past Number.MAX_SAFE_INTEGER and was rounded in JavaScript.
 * Each sum now saturates at ROLLUP_MAX, and ordinary sums stay exact integers.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import {
  asCaller,
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
import { ROLLUP_MAX, saturatingSum } from '../src/writer/saturate';

// eslint-disable-next-line @typescript-eslint/no-explicit-any -- JSON answers read field by field
type Json = Record<string, any>;

/** The gateway's time: the last day of March 2025, so the whole month is "this month" and "today" is fixed. */
const NOW = Date.parse('2025-03-31T12:00:00.000Z');
const DAYS = Array.from({ length: 31 }, (_, i) => `2025-03-${String(i + 1).padStart(2, '0')}`);
const MODELS = Array.from({ length: 36 }, (_, i) => `m${String(i).padStart(2, '0')}`);
/** Above the maximum: a rollup row stored before the rollups saturated (or by hand). */
const LEGACY = '4611686018427387904';
/** Two values below 2^52 + 2 whose sum is ROLLUP_MAX − 1: exact only if summed as integers. */
const HALF_A = 4_503_599_627_370_497;
const HALF_B = 4_503_599_627_370_493;
const RANGE = 'from=2025-03-01&to=2025-03-31';

type Row = Record<string, string | number>;

for (const kind of ['embedded', 'postgres'] as BackendKind[]) {
  describe(`usage reads over saturated rollup rows (${kind})`, () => {
    let backend: Backend;
    let gw: TestGateway;
    const probe = probePlugin();
    const get = (path: string, tenant: string) => gw.fetch(path, { headers: asCaller({ tenant, role: 'owner' }) });
    const json = async (path: string, tenant: string): Promise<Json> => {
      const res = await get(path, tenant);
      const text = await res.text();
      assert.equal(res.status, 200, `${path}: ${text}`);
      return JSON.parse(text) as Json;
    };
    const insert = async (table: string, rows: Row[]) => {
      const cols = Object.keys(rows[0]);
      const lit = (v: string | number) => (typeof v === 'number' || /^\d+$/.test(v) ? String(v) : `'${v}'`);
      for (let i = 0; i < rows.length; i += 200) {
        const values = rows
          .slice(i, i + 200)
          .map((r) => `(${cols.map((c) => lit(r[c])).join(', ')})`)
          .join(', ');
        await probe.ctx().database.sequelize.query(`INSERT INTO ${table} (${cols.join(', ')}) VALUES ${values}`);
      }
    };
    const daily = (over: Row): Row => ({
      team_id: '',
      key_id: '',
      provider: 'openai',
      requests: 1,
      estimated_requests: 0,
      prompt_tokens: 0,
      total_tokens: 0,
      cost_micros: 0,
      output_cost_micros: 0,
      latency_ms_sum: 100,
      ...over,
    });
    const answered = (over: Row): Row => ({
      tenant_id: 'tinv',
      provider: 'openai',
      requests: 1,
      prompt_tokens: 10,
      completion_tokens: 5,
      total_tokens: 15,
      cost_micros: 0,
      ...over,
    });
    const counter = (level: string, tenant: string, target: string, period: string) =>
      probe.ctx().sharedStore.get(`usage:spend:${level}:${tenant}:${target}:${period}`);

    before(async () => {
      backend = await createBackend(kind);
      gw = await startTestGateway({
        plugins: [identityPlugin(), usagePlugin, probe.plugin],
        pluginConfig: {
          usage: { consumer: { blockMs: 50 }, budgets: { counterCheckMs: 50, reconcileIntervalMs: 600_000 } },
        },
        config: backend.config,
        clock: { now: () => NOW, monotonic: () => performance.now() },
      });
      // tsat: one key and team, 36 models × 31 days = 1,116 rows, each at the maximum cost and tokens
      // (a month of absurd days); their sum is ~1.0e19, past BIGINT.
      const sat: Row[] = [];
      for (const day of DAYS)
        for (const model of MODELS)
          sat.push(
            daily({
              day,
              tenant_id: 'tsat',
              team_id: 'team-sat',
              key_id: 'k-sat',
              model,
              estimated_requests: 1,
              prompt_tokens: ROLLUP_MAX,
              total_tokens: ROLLUP_MAX,
              cost_micros: ROLLUP_MAX,
              output_cost_micros: ROLLUP_MAX,
            }),
          );
      await insert('usage_daily', sat);
      // tord: ordinary rows whose costs sum to ROLLUP_MAX − 1 (exact) and tokens to 2^53 (one past the maximum).
      await insert('usage_daily', [
        daily({
          day: '2025-03-10',
          tenant_id: 'tord',
          key_id: 'k-ord',
          model: 'a',
          cost_micros: HALF_A,
          total_tokens: 2 ** 52,
        }),
        daily({
          day: '2025-03-31',
          tenant_id: 'tord',
          key_id: 'k-ord',
          model: 'b',
          cost_micros: HALF_B,
          total_tokens: 2 ** 52,
        }),
      ]);
      // tinv's invoice rollup: gpt-a a month at the maximum, gpt-b three legacy rows above it, gpt-c exact.
      await insert('usage_answered', [
        ...DAYS.map((day) => answered({ day, model: 'gpt-a', answered_by: 'gpt-a', cost_micros: ROLLUP_MAX })),
        ...DAYS.slice(0, 3).map((day) => answered({ day, model: 'gpt-b', answered_by: 'gpt-b', cost_micros: LEGACY })),
        answered({ day: '2025-03-04', model: 'gpt-c', answered_by: 'gpt-c', cost_micros: HALF_A, total_tokens: 3 }),
        answered({ day: '2025-03-05', model: 'gpt-c', answered_by: 'gpt-c', cost_micros: HALF_B, total_tokens: 4 }),
      ]);
    });
    after(async () => {
      await gw?.stop();
      await backend?.cleanup();
    });

    it('usage totals and series saturate at the maximum instead of failing or rounding', async () => {
      const u = await json(`/admin/v1/tenants/tsat/usage?${RANGE}`, 'tsat');
      assert.equal(u.totals.cost_micros, ROLLUP_MAX);
      assert.equal(u.totals.cost_usd, '9007199254.740991');
      assert.equal(u.totals.total_tokens, ROLLUP_MAX);
      assert.equal(u.totals.prompt_tokens, ROLLUP_MAX);
      assert.equal(u.totals.requests, 1_116, 'the other measures stay exact');
      assert.equal(u.totals.estimated_requests, 1_116);
      assert.equal(u.totals.avg_latency_ms, 100);
      assert.equal(u.data.length, 31);
      for (const d of u.data) {
        assert.equal(d.cost_micros, ROLLUP_MAX, `${d.day}: 36 rows at the maximum`);
        assert.equal(d.requests, 36);
      }
      const byKey = await json(`/admin/v1/tenants/tsat/usage?${RANGE}&group_by=key,team`, 'tsat');
      assert.equal(byKey.data.length, 1);
      assert.equal(byKey.data[0].cost_micros, ROLLUP_MAX);
      assert.equal(byKey.data[0].total_tokens, ROLLUP_MAX);
      const byModel = await json(`/admin/v1/tenants/tsat/usage?${RANGE}&group_by=model`, 'tsat');
      assert.equal(byModel.data.length, 36);
      assert.ok(byModel.data.every((d: Json) => d.cost_micros === ROLLUP_MAX && d.requests === 31));

      const s = await json(`/admin/v1/tenants/tsat/usage/summary?${RANGE}`, 'tsat');
      assert.equal(s.cost_micros, ROLLUP_MAX);
      assert.equal(s.total_tokens, ROLLUP_MAX);
      assert.equal(s.requests, 1_116);
      assert.equal(s.top.keys[0].cost_micros, ROLLUP_MAX);
      assert.equal(s.budget.spend.monthly.spent_micros, ROLLUP_MAX);
    });

    it('keeps ordinary sums exact integers, and saturates one past the maximum', async () => {
      const u = await json(`/admin/v1/tenants/tord/usage?${RANGE}`, 'tord');
      assert.equal(u.totals.cost_micros, ROLLUP_MAX - 1);
      assert.equal(u.totals.cost_usd, '9007199254.740990');
      assert.equal(u.totals.total_tokens, ROLLUP_MAX, '2^53 is past the maximum');
      assert.equal(u.totals.requests, 2);
      const days = new Map((u.data as Json[]).map((d) => [d.day, d]));
      assert.equal(days.get('2025-03-10')!.cost_micros, HALF_A);
      assert.equal(days.get('2025-03-31')!.cost_micros, HALF_B);
      assert.equal(days.get('2025-03-11')!.cost_micros, 0);
      const reader = (await json(`/admin/v1/tenants/tord/usage?${RANGE}&group_by=model`, 'tord')).data as Json[];
      assert.deepEqual(
        reader.map((d) => [d.model, d.cost_micros, d.total_tokens]),
        [
          ['a', HALF_A, 2 ** 52],
          ['b', HALF_B, 2 ** 52],
        ],
      );
      const b = await json('/admin/v1/tenants/tord/budgets', 'tord');
      assert.equal(b.spend.monthly.spent_micros, ROLLUP_MAX - 1);
      assert.equal(b.spend.daily.spent_micros, HALF_B);
    });

    if (kind === 'embedded')
      it("sums to an INTEGER on SQLite, though TOTAL's sum is a REAL", async () => {
        const sum = (col: string) => saturatingSum('sqlite', col);
        const [r] = (await probe
          .ctx()
          .database.sequelize.query(
            `SELECT typeof(${sum('cost_micros')}) AS t, ${sum('cost_micros')} AS c, ${sum('total_tokens')} AS n FROM usage_daily WHERE tenant_id = 'tord'`,
            { type: 'SELECT' },
          )) as { t: string; c: number; n: number }[];
        assert.deepEqual(r, { t: 'integer', c: ROLLUP_MAX - 1, n: ROLLUP_MAX });
      });

    it('reports budget spend at the maximum', async () => {
      const t = await json('/admin/v1/tenants/tsat/budgets', 'tsat');
      assert.equal(t.spend.monthly.spent_micros, ROLLUP_MAX, 'the month: 1,116 rows');
      assert.equal(t.spend.daily.spent_micros, ROLLUP_MAX, 'today: 36 rows');
      assert.equal(t.spend.monthly.spent_usd, '9007199254.740991');
      const k = await json('/admin/v1/tenants/tsat/api-keys/k-sat/budgets', 'tsat');
      assert.equal(k.spend.monthly.spent_micros, ROLLUP_MAX);
      const team = await json('/admin/v1/tenants/tsat/teams/team-sat/budgets', 'tsat');
      assert.equal(team.spend.monthly.spent_micros, ROLLUP_MAX);
    });

    it('bills an invoice at the maximum per item and in total, other items exact', async () => {
      const inv = await json('/admin/v1/tenants/tinv/invoices/2025-03', 'tinv');
      const items = new Map((inv.line_items as Json[]).map((i) => [i.model, i]));
      assert.deepEqual([...items.keys()], ['gpt-a', 'gpt-b', 'gpt-c']);
      assert.equal(items.get('gpt-a')!.amount_micros, ROLLUP_MAX, '31 rows at the maximum');
      assert.equal(items.get('gpt-b')!.amount_micros, ROLLUP_MAX, 'rows above the maximum are brought back to it');
      assert.equal(items.get('gpt-c')!.amount_micros, ROLLUP_MAX - 1);
      assert.equal(items.get('gpt-c')!.total_tokens, 7);
      for (const i of items.values()) {
        const lines = (i.lines as Json[]).reduce((a, l) => a + l.amount_micros, 0);
        assert.equal(lines, i.amount_micros, `${i.model}: its lines add up to its amount`);
      }
      assert.equal(inv.totals.amount_micros, ROLLUP_MAX);
      assert.equal(inv.totals.amount_usd, '9007199254.740991');
      assert.equal(inv.totals.requests, 36);
      assert.equal(inv.totals.total_tokens, 31 * 15 + 3 * 15 + 7);
    });

    it('reconciles the spend counters at the maximum', async () => {
      // The marker gone (a flushed store) makes the next check reconcile from usage_daily.
      await probe.ctx().sharedStore.del('usage:spend:reconciled');
      await waitFor(
        'counters reconciled',
        async () => (await probe.ctx().sharedStore.get('usage:spend:reconciled')) !== null,
        10_000,
      );
      assert.equal(await counter('tenant', 'tsat', 'tsat', 'm:2025-03'), String(ROLLUP_MAX));
      assert.equal(await counter('tenant', 'tsat', 'tsat', 'd:2025-03-31'), String(ROLLUP_MAX));
      assert.equal(await counter('key', 'tsat', 'k-sat', 'm:2025-03'), String(ROLLUP_MAX));
      assert.equal(await counter('team', 'tsat', 'team-sat', 'm:2025-03'), String(ROLLUP_MAX));
      assert.equal(await counter('tenant', 'tord', 'tord', 'm:2025-03'), String(ROLLUP_MAX - 1));
      assert.equal(await counter('key', 'tord', 'k-ord', 'd:2025-03-31'), String(HALF_B));
    });
  });
}
