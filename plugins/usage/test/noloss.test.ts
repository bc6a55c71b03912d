/**
 * No loss, on PostgreSQL + Redis (the production setup):
 *  (a) the gateway, in its own process under load, is SIGKILLed and restarted: every request the
 *      mock upstream received has exactly one usage row, no duplicates; the only rows for requests
 *      it never received are write-ahead ("interrupted") rows of requests in flight at the kill.
 *  (b) PostgreSQL becomes unreachable for this gateway under load (a TCP proxy is cut — the shared
 *      server keeps running): requests keep being served, records wait in the Redis Stream and all
 *      land once it is back; totals equal the mock upstream's token counts.
 */
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import path from 'node:path';
import readline from 'node:readline';
import { after, before, describe, it } from 'node:test';
import { createDatabase } from '@aihub/core/testing';
import { startTestGateway } from '@aihub/core/testing';
import { startMockUpstream, type MockUpstream } from '../../../bench/src/mock-upstream/server';
import usagePlugin from '../src/index';
import { INTERRUPTED_CODE } from '../src/records';
import { createBackend, waitFor, type Backend } from '@aihub/core/testing';
import { fakeAiPlugin } from './helpers/fakeAi';
import { asCaller, identityPlugin } from '@aihub/core/testing';
import { metricValue } from '@aihub/core/testing';
import { startTcpProxy } from './helpers/tcpProxy';

const USAGE = {
  consumer: { blockMs: 100, claimIdleMs: 1000, retryInitialMs: 100, retryMaxMs: 500 },
  pending: { timeoutMs: 1500, sweepIntervalMs: 250 },
};
const CALLER = asCaller({ tenant: 'tn', key: 'k-load', team: 'team-a' });

function startChild(settings: unknown): Promise<{ child: ChildProcess; url: string }> {
  const child = spawn(
    process.execPath,
    ['--conditions=aihub-source', '--import', 'tsx', path.join(__dirname, 'helpers', 'gatewayChild.ts')],
    {
      env: { ...process.env, AIHUB_TEST_CHILD: JSON.stringify(settings) },
      stdio: ['ignore', 'pipe', 'inherit'],
    },
  );
  return new Promise((resolve, reject) => {
    const rl = readline.createInterface({ input: child.stdout! });
    rl.once('line', (line) => resolve({ child, url: (JSON.parse(line) as { url: string }).url }));
    child.once('exit', (code) => reject(new Error(`child gateway exited with ${code}`)));
  });
}

/** `concurrency` loops sending requests until stopped; returns how many got 200 and how many failed. */
function load(url: string, concurrency: number, body: (i: number) => Record<string, unknown>, caller = CALLER) {
  let stopped = false;
  let ok = 0;
  let failed = 0;
  let n = 0;
  const loops = Array.from({ length: concurrency }, async () => {
    while (!stopped) {
      const i = n++;
      try {
        const res = await fetch(`${url}/v1/chat/completions`, {
          method: 'POST',
          headers: { 'content-type': 'application/json', ...caller },
          body: JSON.stringify(body(i)),
        });
        await res.arrayBuffer();
        if (res.status === 200) ok++;
        else failed++;
      } catch {
        failed++;
        await new Promise((r) => setTimeout(r, 20));
      }
    }
  });
  return {
    stop: async () => {
      stopped = true;
      await Promise.all(loops);
      return { ok, failed };
    },
  };
}

describe('no-loss metering (PostgreSQL + Redis)', () => {
  let backend: Backend;
  let mock: MockUpstream;

  before(async () => {
    backend = await createBackend('postgres');
    mock = await startMockUpstream({ completionTokens: 8, latencyMs: 15, record: 1_000_000 });
  });

  after(async () => {
    await mock?.close();
    await backend?.cleanup();
  });

  it('SIGKILL under load: every request the upstream received is metered exactly once', async () => {
    mock.reset();
    const settings = { config: backend.config, upstreamUrl: mock.url, usage: USAGE };
    const first = await startChild(settings);
    const concurrency = 24;
    const body = (i: number) => ({
      model: 'gpt-4o-mini',
      stream: i % 3 === 0,
      messages: [{ role: 'user', content: 'kill me softly' }],
    });
    const gen = load(first.url, concurrency, body);
    await waitFor('load under way', () => mock.stats.requests >= 150, 20_000);
    first.child.kill('SIGKILL');
    await new Promise((r) => first.child.once('exit', r));
    const before = await gen.stop();
    // Let the upstream notice the dead client on requests it was still answering.
    await waitFor('upstream quiet', () => mock.stats.received === mock.stats.requests + mock.stats.aborted, 5000);

    const second = await startChild(settings);
    try {
      // The new instance serves at once, while it takes over the dead one's records.
      const after = load(second.url, 4, body);
      await new Promise((r) => setTimeout(r, 500));
      const { ok } = await after.stop();
      assert.ok(ok > 0, 'the restarted gateway serves');

      const db = createDatabase({ url: backend.databaseUrl });
      try {
        const q = async <T>(sql: string) => (await db.sequelize.query(sql, { type: 'SELECT' })) as T[];
        const receivedIds = new Set(mock.requests.map((r) => String(r.headers['x-request-id'])));
        assert.equal(receivedIds.size, mock.stats.received, 'the mock saw every request id once');
        await waitFor(
          'every received request metered and no write-ahead record left',
          async () => {
            const [{ pending }] = await q<{ pending: string }>('SELECT COUNT(*) AS pending FROM usage_pending');
            const ids = new Set(
              (await q<{ request_id: string }>('SELECT request_id FROM usage_records')).map((r) => r.request_id),
            );
            return Number(pending) === 0 && [...receivedIds].every((id) => ids.has(id));
          },
          30_000,
          200,
        );
        const rows = await q<{
          request_id: string;
          status: string;
          error_code: string | null;
          prompt_tokens: number;
          completion_tokens: number;
        }>('SELECT request_id, status, error_code, prompt_tokens, completion_tokens FROM usage_records');
        const [{ distinct }] = await q<{ distinct: string }>(
          'SELECT COUNT(DISTINCT request_id) AS distinct FROM usage_records',
        );
        assert.equal(Number(distinct), rows.length, 'no duplicates');
        const ids = new Set(rows.map((r) => r.request_id));
        for (const id of receivedIds) assert.ok(ids.has(id), `request ${id} reached the upstream but has no usage row`);
        const notReceived = rows.filter((r) => !receivedIds.has(r.request_id));
        for (const r of notReceived)
          assert.equal(
            r.error_code,
            INTERRUPTED_CODE,
            'only write-ahead rows of requests in flight at the kill lack an upstream call',
          );
        assert.ok(notReceived.length <= concurrency, `${notReceived.length} rows for requests the upstream never saw`);
        const success = rows.filter((r) => r.status === 'success');
        for (const r of success) assert.ok(receivedIds.has(r.request_id));
        assert.ok(success.length <= mock.stats.requests, 'no more successes than the upstream served');
        const interrupted = rows.filter((r) => r.error_code === INTERRUPTED_CODE);
        assert.ok(interrupted.length >= 1, 'the kill interrupted requests in flight');
        assert.equal(
          success.length + interrupted.length + rows.filter((r) => r.status === 'cancelled').length,
          rows.length,
        );
        // Successful rows carry the upstream's exact usage (every request here has the same prompt).
        const perRequestPrompt = mock.stats.promptTokens / mock.stats.requests;
        for (const r of success) assert.equal(Number(r.prompt_tokens), perRequestPrompt);
        // The rollups equal the rows.
        const [roll] = await q<{ n: string; p: string }>(
          "SELECT SUM(requests) AS n, SUM(prompt_tokens) AS p FROM usage_daily WHERE tenant_id = 'tn'",
        );
        assert.equal(Number(roll.n), rows.length);
        assert.equal(
          Number(roll.p),
          rows.reduce((a, r) => a + Number(r.prompt_tokens), 0),
        );
        console.log(
          `kill test: client ok before kill ${before.ok}, upstream received ${mock.stats.received}, served ${mock.stats.requests}, aborted ${mock.stats.aborted}; rows ${rows.length} (success ${success.length}, interrupted ${interrupted.length}, never reached upstream ${notReceived.length})`,
        );
      } finally {
        await db.close();
      }
    } finally {
      second.child.kill('SIGTERM');
      await new Promise((r) => second.child.once('exit', r));
    }
  });

  it('PostgreSQL unreachable under load: the gateway keeps serving, records wait in Redis and all land', async () => {
    mock.reset();
    const db = createDatabase({ url: backend.databaseUrl });
    const proxy = await startTcpProxy('127.0.0.1', Number(new URL(backend.databaseUrl).port || 5432));
    const proxied = new URL(backend.databaseUrl);
    proxied.port = String(proxy.port);
    const gw = await startTestGateway({
      plugins: [identityPlugin(), fakeAiPlugin({ upstreamUrl: mock.url }), usagePlugin],
      pluginConfig: { usage: { ...USAGE, pending: { timeoutMs: 600_000, sweepIntervalMs: 250 } } },
      config: { ...backend.config, database: { url: proxied.toString(), poolMax: 5 } },
    });
    try {
      const gen = load(
        gw.url,
        16,
        (i) => ({ model: 'gpt-4o-mini', stream: i % 4 === 0, messages: [{ role: 'user', content: 'outage' }] }),
        asCaller({ tenant: 'to', key: 'k-outage' }),
      );
      await waitFor('load under way', () => mock.stats.requests >= 100, 20_000);
      proxy.cut();
      const servedAtCut = mock.stats.requests;
      await new Promise((r) => setTimeout(r, 3000));
      const servedDuringOutage = mock.stats.requests - servedAtCut;
      const lag = metricValue(await (await gw.fetch('/metrics')).text(), 'aihub_usage_queue_lag');
      const retries = metricValue(await (await gw.fetch('/metrics')).text(), 'aihub_usage_batches_total', {
        outcome: 'retry',
      });
      proxy.restore();
      await new Promise((r) => setTimeout(r, 500));
      const { ok, failed } = await gen.stop();
      assert.equal(failed, 0, 'no request failed during the outage');
      assert.ok(servedDuringOutage > 50, `the gateway kept serving (${servedDuringOutage} during the outage)`);
      assert.ok(lag > 0, 'records waited in the queue');
      assert.ok(retries > 0, 'the consumer retried instead of dropping');
      await waitFor(
        'all records landed',
        async () => {
          const r = (await db.sequelize.query("SELECT COUNT(*) AS n FROM usage_records WHERE tenant_id = 'to'", {
            type: 'SELECT',
          })) as { n: string }[];
          return Number(r[0].n) === ok;
        },
        30_000,
        100,
      );
      assert.equal(ok, mock.stats.requests, 'every served request answered the client');
      const rows = (await db.sequelize.query(
        "SELECT request_id, prompt_tokens, completion_tokens, status FROM usage_records WHERE tenant_id = 'to'",
        { type: 'SELECT' },
      )) as { request_id: string; prompt_tokens: number; completion_tokens: number; status: string }[];
      assert.equal(new Set(rows.map((r) => r.request_id)).size, ok, 'no duplicates');
      const [roll] = (await db.sequelize.query(
        "SELECT SUM(requests) AS n, SUM(completion_tokens) AS c FROM usage_daily WHERE tenant_id = 'to'",
        { type: 'SELECT' },
      )) as { n: string; c: string }[];
      assert.equal(Number(roll.n), ok, 'rollups count each request once');
      assert.equal(Number(roll.c), mock.stats.completionTokens);
      assert.ok(rows.every((r) => r.status === 'success'));
      assert.equal(
        rows.reduce((a, r) => a + Number(r.prompt_tokens), 0),
        mock.stats.promptTokens,
        'prompt tokens equal the upstream’s count',
      );
      assert.equal(
        rows.reduce((a, r) => a + Number(r.completion_tokens), 0),
        mock.stats.completionTokens,
        'completion tokens equal the upstream’s count',
      );
      console.log(
        `outage test: served ${mock.stats.requests} (${servedDuringOutage} while PostgreSQL was unreachable), peak lag ${lag}, retried batches ${retries}`,
      );
    } finally {
      await gw.stop();
      await proxy.close();
      await db.close();
    }
  });
});
