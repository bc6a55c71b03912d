/**
 * Write-ahead (pending) records: billed as interrupted when their final record never comes, replaced
 * exactly (rows, rollups and spend counters) when it comes late, and ignored when the final came first.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { startTestGateway, type TestGateway } from '@aihub/core/testing';
import { USAGE_TOPIC } from '@aihub/core/plugin-api';
import usagePlugin from '../src/index';
import { INTERRUPTED_CODE } from '../src/records';
import { createBackend, waitFor, type Backend, type BackendKind } from '@aihub/core/testing';
import { metricValue, probePlugin } from '@aihub/core/testing';

for (const kind of ['embedded', 'postgres'] as BackendKind[]) {
  describe(`write-ahead records (${kind})`, () => {
    let backend: Backend;
    let gw: TestGateway;
    const probe = probePlugin();
    const now = () => new Date().toISOString();
    const rec = (id: string, status: string, costMicros: number, extra: Record<string, unknown> = {}) => ({
      requestId: id,
      timestamp: now(),
      tenantId: 'tp',
      keyId: 'kp',
      teamId: null,
      userId: null,
      endpoint: 'chat.completions',
      model: 'gpt-4o',
      promptTokens: 10,
      completionTokens: status === 'pending' ? 0 : 20,
      cachedTokens: 0,
      totalTokens: status === 'pending' ? 10 : 30,
      estimated: status === 'pending',
      costMicros,
      priced: true,
      status,
      httpStatus: status === 'pending' ? 0 : 200,
      ...extra,
    });
    const q = async <T>(sql: string) => (await probe.ctx().database.sequelize.query(sql, { type: 'SELECT' })) as T[];
    const row = async (id: string) =>
      (
        await q<{ status: string; error_code: string | null; cost_micros: unknown }>(
          `SELECT status, error_code, cost_micros FROM usage_records WHERE request_id = '${id}'`,
        )
      )[0];
    const rollup = async () =>
      (
        await q<{ n: unknown; c: unknown }>(
          "SELECT SUM(requests) AS n, SUM(cost_micros) AS c FROM usage_daily WHERE tenant_id = 'tp'",
        )
      )[0];
    const spend = async () =>
      Number(await probe.ctx().sharedStore.get(`usage:spend:tenant:tp:tp:d:${now().slice(0, 10)}`));

    before(async () => {
      backend = await createBackend(kind);
      gw = await startTestGateway({
        plugins: [usagePlugin, probe.plugin],
        pluginConfig: { usage: { consumer: { blockMs: 50 }, pending: { timeoutMs: 300, sweepIntervalMs: 100 } } },
        config: backend.config,
      });
    });

    after(async () => {
      await gw?.stop();
      await backend?.cleanup();
    });

    it('bills a write-ahead record with no final record as interrupted', async () => {
      await probe.ctx().queue.publishNow(USAGE_TOPIC, [rec('p1', 'pending', 100)]);
      await waitFor('interrupted row', async () => (await row('p1'))?.error_code === INTERRUPTED_CODE);
      const r = await row('p1');
      assert.equal(r.status, 'error');
      assert.equal(Number(r.cost_micros), 100, 'billed at the estimate of the write-ahead record');
      assert.equal(Number((await q<{ n: unknown }>('SELECT COUNT(*) AS n FROM usage_pending'))[0].n), 0);
      assert.equal(await spend(), 100);
    });

    it('replaces the interrupted row when the final record comes late: rows, rollups and spend', async () => {
      await probe.ctx().queue.publishNow(USAGE_TOPIC, [rec('p1', 'success', 500)]);
      await waitFor('replaced row', async () => (await row('p1'))?.status === 'success');
      const r = await row('p1');
      assert.equal(r.error_code, null);
      assert.equal(Number(r.cost_micros), 500);
      const roll = await rollup();
      assert.equal(Number(roll.n), 1, 'still one request');
      assert.equal(Number(roll.c), 500);
      await waitFor('spend replaced', async () => (await spend()) === 500);
      const metrics = await (await gw.fetch('/metrics')).text();
      assert.equal(metricValue(metrics, 'aihub_usage_interrupted_total'), 1);
      assert.equal(metricValue(metrics, 'aihub_usage_interrupted_replaced_total'), 1);
      // A second copy of the final record is a plain duplicate now.
      await probe.ctx().queue.publishNow(USAGE_TOPIC, [rec('p1', 'success', 500)]);
      await waitFor(
        'duplicate',
        async () =>
          metricValue(await (await gw.fetch('/metrics')).text(), 'aihub_usage_duplicates_dropped_total') === 1,
      );
      assert.equal(Number((await rollup()).c), 500);
    });

    it('ignores a write-ahead record that arrives after its final record, or with it', async () => {
      await probe.ctx().queue.publishNow(USAGE_TOPIC, [rec('p2', 'success', 300)]);
      await waitFor('final row', async () => (await row('p2'))?.status === 'success');
      await probe
        .ctx()
        .queue.publishNow(USAGE_TOPIC, [rec('p2', 'pending', 50), rec('p3', 'pending', 50), rec('p3', 'success', 70)]);
      await waitFor('p3 row', async () => (await row('p3'))?.status === 'success');
      await new Promise((r) => setTimeout(r, 600)); // longer than the pending timeout + a sweep
      assert.equal((await row('p2')).status, 'success');
      assert.equal(Number((await row('p3')).cost_micros), 70);
      assert.equal(Number((await q<{ n: unknown }>('SELECT COUNT(*) AS n FROM usage_pending'))[0].n), 0);
      const roll = await rollup();
      assert.equal(Number(roll.n), 3);
      assert.equal(Number(roll.c), 500 + 300 + 70);
      assert.equal(await spend(), 870);
    });
  });
}
