/**
 * The ops plugin's signals that read the usage plugin's tables, on both backends: a tenant's spend
 * spike against its own hourly history (robust z-score) and a budget alert, each sending a real
 * webhook; a tenant with steady spend sends nothing. Usage rows are written straight to the tables,
 * with timestamps over the last day (the usage API cannot backdate them).
 */
import assert from 'node:assert/strict';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, before, describe, it } from 'node:test';
import { createSql, instantParam } from '@aihub/core/plugin-api';
import {
  createBackend,
  createDatabase,
  startTestGateway,
  waitFor,
  type Backend,
  type TestGateway,
} from '@aihub/core/testing';

for (const kind of ['embedded', 'postgres'] as const) {
  describe(`ops signals from usage tables (${kind})`, () => {
    let backend: Backend;
    let gw: TestGateway;
    let receiver: http.Server;
    const received: { type: string; rule: string; target: string; reason: string }[] = [];

    before(async () => {
      receiver = http.createServer((req, res) => {
        let body = '';
        req.on('data', (c: Buffer) => (body += c.toString()));
        req.on('end', () => {
          received.push(JSON.parse(body) as never);
          res.writeHead(204).end();
        });
      });
      await new Promise<void>((r) => receiver.listen(0, '127.0.0.1', r));
      backend = await createBackend(kind);
      gw = await startTestGateway({
        config: {
          ...backend.config,
          plugins: [
            { name: 'usage' },
            {
              name: 'ops',
              config: {
                evaluateIntervalMs: 200,
                webhooks: { h: { url: `http://127.0.0.1:${(receiver.address() as AddressInfo).port}/hook` } },
                rules: [
                  {
                    name: 'spend',
                    when: { signal: 'spend_anomaly', above: 3.5 },
                    action: { type: 'webhook', webhook: 'h' },
                    cooldownSeconds: 3600,
                  },
                  {
                    name: 'budget',
                    when: { signal: 'budget_alert', above: 0 },
                    action: { type: 'webhook', webhook: 'h' },
                    cooldownSeconds: 3600,
                  },
                ],
              },
            },
          ],
        },
      });
    });
    after(async () => {
      await gw?.stop();
      await backend?.cleanup();
      await new Promise<void>((r) => receiver.close(() => r()));
    });

    it('a spend spike and a budget alert send their webhooks; steady spend does not', async () => {
      const db = await createDatabase({ url: backend.databaseUrl });
      try {
        const sql = createSql(db);
        const at = (i: number) => instantParam(sql.dialect, i);
        const now = Date.now();
        let n = 0;
        const record = (tenant: string, msAgo: number, micros: number) =>
          sql.rows(
            `INSERT INTO usage_records (request_id, created_at, recorded_at, tenant_id, endpoint, model, prompt_tokens, completion_tokens, cached_tokens, total_tokens, estimated, cost_micros, priced, latency_ms, status, http_status, cache_hit, stream)
             VALUES ($1, ${at(2)}, ${at(2)}, $3, 'chat.completions', 'gpt-4o-mini', 1, 1, 0, 2, false, $4, true, 10, 'success', 200, false, false)`,
            [`req-${++n}`, new Date(now - msAgo).toISOString(), tenant, micros],
          );
        for (let h = 1; h <= 24; h++) {
          // History: about $1 an hour for both, with some noise.
          await record('ten_spiky', h * 3_600_000 + 60_000, 900_000 + (h % 5) * 50_000);
          await record('ten_steady', h * 3_600_000 + 60_000, 1_900_000 + (h % 4) * 100_000);
        }
        await record('ten_spiky', 60_000, 40_000_000);
        await record('ten_steady', 60_000, 2_000_000);
        await sql.rows(
          `INSERT INTO usage_budget_alerts (id, tenant_id, level, target_id, period, period_key, kind, limit_micros, spent_micros, created_at, webhook_state, attempts)
           VALUES ('bal_1', 'ten_budget', 'tenant', 'ten_budget', 'daily', '2026-01-01', 'hard', 5000000, 5100000, ${at(1)}, 'none', 0)`,
          [new Date(now + 1000).toISOString()],
        );
      } finally {
        await db.close();
      }
      await waitFor('two webhooks', () => received.length >= 2);
      const byRule = new Map(received.map((r) => [r.rule, r]));
      assert.equal(received.length, 2);
      assert.equal(byRule.get('spend')?.target, 'ten_spiky');
      assert.match(
        byRule.get('spend')!.reason,
        /spend_anomaly of ten_spiky is \d+ \(above 3\.5\): last hour's spend \$40\.00 has a robust z-score/,
      );
      assert.equal(byRule.get('budget')?.target, 'ten_budget');
      assert.match(byRule.get('budget')!.reason, /hard daily budget of tenant ten_budget reached: \$5\.10 of \$5\.00/);
      assert.ok(received.every((r) => r.type === 'ops.decision'));
    });
  });
}
