/**
 * `aihub start --workers N` as an operator runs it: real processes (the CLI on the TypeScript
 * sources), real PostgreSQL and Redis, requests over TCP. Two workers share one port, `/metrics`
 * answers for both, a killed worker is replaced, SIGTERM drains a request in flight and exits 0;
 * one worker is the single process it always was, and more than one on SQLite is refused.
 */
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import http from 'node:http';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import net from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { createTestDatabase, type TestDatabase } from '../services/storage';

const repoRoot = path.resolve(__dirname, '../../..');

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = net.createServer().listen(0, '127.0.0.1', () => {
      const { port } = s.address() as net.AddressInfo;
      s.close(() => resolve(port));
    });
    s.on('error', reject);
  });
}

async function waitFor(
  fn: () => Promise<boolean> | boolean,
  timeoutMs: number,
  what: string | (() => string),
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (await Promise.resolve(fn()).catch(() => false)) return;
    await new Promise((r) => setTimeout(r, 200));
  }
  throw new Error(`timed out waiting for ${typeof what === 'function' ? what() : what}`);
}

function configYaml(port: number, dataDir: string, shared?: { db: string; prefix: string }): string {
  return `server:
  host: 127.0.0.1
  port: ${port}
  shutdownDelayMs: ${shared ? 2500 : 0}
dataDir: ${dataDir}
${shared ? `database:\n  url: ${shared.db}\nredis:\n  url: redis://127.0.0.1:6379\n  keyPrefix: "${shared.prefix}"\n` : ''}logging:
  level: info
  format: json
plugins:
  - name: health
  - name: ai
    config:
      requireAuth: false
      providers:
        mock: { type: mock }
        slow: { type: mock, mock: { latencyMs: 4000 } }
      models:
        gpt-4o-mini:
          deployments: [{ provider: mock, model: gpt-4o-mini }]
        slow-model:
          deployments: [{ provider: slow, model: slow-model }]
`;
}

/** `aihub start` with these arguments; its output collected for failure messages. */
function startCli(args: string[]): { child: ChildProcess; log: () => string; exited: Promise<number | null> } {
  let log = '';
  const child = spawn(
    process.execPath,
    ['--conditions=aihub-source', '--import', 'tsx', path.join(repoRoot, 'core/src/cli.ts'), 'start', ...args],
    {
      cwd: repoRoot,
      env: { ...process.env, AIHUB_PORT: '', AIHUB_CONFIG: '', AIHUB_WORKERS: '' },
      stdio: ['ignore', 'pipe', 'pipe'],
    },
  );
  child.stdout!.on('data', (d) => (log += d));
  child.stderr!.on('data', (d) => (log += d));
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  return { child, log: () => log, exited };
}

/** A GET on a connection of its own (no keep-alive), so the kernel hands each to a worker anew. */
function getFresh(url: string): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    http
      .get(url, { agent: false, headers: { connection: 'close' } }, (res) => {
        let body = '';
        res.setEncoding('utf8');
        res.on('data', (d) => (body += d));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
      })
      .on('error', reject)
      // A connection lost between the primary and a worker would otherwise hang the test.
      .setTimeout(10_000, function (this: http.ClientRequest) {
        this.destroy(new Error('no answer within 10 s'));
      });
  });
}

/** One chat completion (mock provider) over `agent`'s connections. */
function chat(base: string, agent: http.Agent): Promise<{ status: number }> {
  const body = JSON.stringify({ model: 'gpt-4o-mini', messages: [{ role: 'user', content: 'Hello' }] });
  return new Promise((resolve, reject) => {
    const req = http.request(
      `${base}/v1/chat/completions`,
      { method: 'POST', agent, headers: { 'content-type': 'application/json', 'content-length': body.length } },
      (res) => {
        res.resume();
        res.on('end', () => resolve({ status: res.statusCode ?? 0 }));
        res.on('error', reject);
      },
    );
    req.on('error', reject);
    req.setTimeout(10_000, () => req.destroy(new Error('no answer within 10 s')));
    req.end(body);
  });
}

/** Chat completions counted by `aihub_http_requests_total`, over every status. */
function chatCount(text: string): number {
  return series(text, 'aihub_http_requests_total')
    .filter((s) => s.labels.route === '/v1/chat/completions')
    .reduce((a, s) => a + s.value, 0);
}

/** Series of one metric family from Prometheus text: labels → value. */
function series(text: string, name: string): { labels: Record<string, string>; value: number }[] {
  const out: { labels: Record<string, string>; value: number }[] = [];
  for (const line of text.split('\n')) {
    if (!line.startsWith(`${name}{`) && !line.startsWith(`${name} `)) continue;
    const labels: Record<string, string> = {};
    const m = /^[^{ ]+(?:\{(.*)\})? (\S+)/.exec(line)!;
    for (const l of (m[1] ?? '').matchAll(/(\w+)="([^"]*)"/g)) labels[l[1]] = l[2];
    out.push({ labels, value: Number(m[2]) });
  }
  return out;
}

describe('aihub start --workers 2', () => {
  let dir: string;
  let db: TestDatabase;
  let port: number;
  let cli: ReturnType<typeof startCli>;
  const base = () => `http://127.0.0.1:${port}`;
  const metrics = async () => (await getFresh(`${base()}/metrics`)).body;
  const workerPids = async () =>
    Object.fromEntries(
      series(await metrics(), 'aihub_cluster_worker_info').map((s) => [s.labels.worker, Number(s.labels.pid)]),
    );

  before(async () => {
    dir = mkdtempSync(path.join(tmpdir(), 'aihub-cluster-'));
    db = await createTestDatabase('postgres');
    port = await freePort();
    const file = path.join(dir, 'aihub.yaml');
    writeFileSync(file, configYaml(port, dir, { db: db.url, prefix: `aihub-cluster-${process.pid}-${Date.now()}:` }));
    cli = startCli(['--config', file, '--workers', '2']);
    await waitFor(
      async () =>
        Object.keys(await workerPids()).length === 2 &&
        series(await metrics(), 'aihub_cluster_workers').some((s) => s.labels.state === 'ready' && s.value === 2),
      120_000,
      () => `two ready workers (log: ${cli.log().slice(-3000)})`,
    );
  });
  after(async () => {
    if (cli?.child.exitCode === null) {
      cli.child.kill('SIGKILL');
      await cli.exited;
    }
    await db?.drop();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it('serves one port from two worker processes, and /metrics sums their request counters', async () => {
    const before = await metrics();
    const count = (text: string) =>
      series(text, 'aihub_http_requests_total')
        .filter((s) => s.labels.route === '/v1/models')
        .reduce((a, s) => a + s.value, 0);
    const pids = await workerPids();
    assert.deepEqual(Object.keys(pids).sort(), ['1', '2']);
    assert.notEqual(pids['1'], pids['2']);
    assert.ok(!Object.values(pids).includes(cli.child.pid!), 'the primary serves no request');

    const n = 20;
    for (let i = 0; i < n; i++) assert.equal((await getFresh(`${base()}/v1/models`)).status, 200);
    const after = await metrics();
    assert.equal(count(after) - count(before), n, 'the requests of both workers, summed');
    const connections = series(after, 'aihub_cluster_worker_connections_total');
    assert.deepEqual(connections.map((s) => s.labels.worker).sort(), ['1', '2']);
    for (const s of connections)
      assert.ok(s.value > 0, `worker ${s.labels.worker} accepted connections (${JSON.stringify(connections)})`);
    // Gauges stay per worker; histograms merge into one family with no worker label.
    assert.deepEqual(
      series(after, 'aihub_http_requests_in_flight')
        .map((s) => s.labels.worker)
        .sort(),
      ['1', '2'],
    );
    assert.ok(series(after, 'aihub_http_request_duration_seconds_count').every((s) => s.labels.worker === undefined));
    const text = cli.log();
    assert.equal(text.match(/"applied migrations"/g)?.length ?? 0, 1, 'migrations ran once, in the primary');
  });

  it('replaces a killed worker', async () => {
    const pids = await workerPids();
    process.kill(pids['2'], 'SIGKILL');
    await waitFor(
      async () => {
        const now = await workerPids();
        const text = await metrics();
        const ready = series(text, 'aihub_cluster_workers').find((s) => s.labels.state === 'ready')?.value;
        return now['2'] !== undefined && now['2'] !== pids['2'] && now['1'] === pids['1'] && ready === 2;
      },
      60_000,
      () => `worker 2 to be replaced (log: ${cli.log().slice(-2000)})`,
    );
    const restarts = series(await metrics(), 'aihub_cluster_worker_restarts_total');
    assert.equal(restarts[0]?.value, 1);
    assert.equal((await getFresh(`${base()}/v1/models`)).status, 200);
  });

  it('under load, /metrics counts every request of both workers exactly', async () => {
    const before = await metrics();
    const connections = (text: string) =>
      Object.fromEntries(series(text, 'aihub_cluster_worker_connections_total').map((s) => [s.labels.worker, s.value]));
    // 16 keep-alive connections, each sending requests back to back: both workers busy at once.
    const agent = new http.Agent({ keepAlive: true, maxSockets: 16 });
    const perLoop = 25;
    const loops = Array.from({ length: 16 }, async () => {
      for (let i = 0; i < perLoop; i++) assert.equal((await chat(base(), agent)).status, 200);
    });
    await Promise.all(loops);
    agent.destroy();
    const after = await metrics();
    assert.equal(chatCount(after) - chatCount(before), 16 * perLoop, 'every request counted once, none lost');
    const c0 = connections(before);
    const c1 = connections(after);
    for (const w of ['1', '2']) assert.ok(c1[w] - c0[w] > 0, `worker ${w} took connections (${JSON.stringify(c1)})`);
  });

  it('a worker killed under load: only requests on its connections fail, the rest go on, it is replaced', async (t) => {
    const pids = await workerPids();
    const connectionsOf2 = async () =>
      series(await metrics(), 'aihub_cluster_worker_connections_total').find((s) => s.labels.worker === '2')!.value;
    const before2 = await connectionsOf2();
    let stop = false;
    let ok = 0;
    const failures: string[] = [];
    let okAfterKill = 0;
    let killed = false;
    // 8 loops on connections of their own; a loop whose connection breaks opens a new one.
    const loops = Array.from({ length: 8 }, async () => {
      const agent = new http.Agent({ keepAlive: true, maxSockets: 1 });
      while (!stop) {
        const r = await chat(base(), agent).catch((err: Error) => ({ status: 0, error: err.message }));
        if (r.status === 200) {
          ok++;
          if (killed) okAfterKill++;
        } else failures.push('error' in r ? r.error : `status ${r.status}`);
      }
      agent.destroy();
    });
    await waitFor(() => ok >= 100, 30_000, 'requests to flow');
    const open2 = (await connectionsOf2()) - before2;
    process.kill(pids['2'], 'SIGKILL');
    killed = true;
    await waitFor(() => okAfterKill >= 100, 30_000, 'requests to go on after the kill');
    await waitFor(
      async () => {
        const now = await workerPids();
        const ready = series(await metrics(), 'aihub_cluster_workers').find((s) => s.labels.state === 'ready');
        return now['2'] !== undefined && now['2'] !== pids['2'] && ready?.value === 2;
      },
      60_000,
      () => `worker 2 to be replaced (log: ${cli.log().slice(-2000)})`,
    );
    stop = true;
    await Promise.all(loops);
    t.diagnostic(
      `${ok} answered, ${failures.length} failed (${failures.join('; ')}), worker 2 held ${open2} connections`,
    );
    // A connection carries one request at a time: one failure per connection worker 2 held, plus at
    // most one more for each: a loop reconnects at once, and the primary may hand that connection to
    // worker 2 in the moment before it sees the exit (the hand-off guard then closes it).
    assert.ok(open2 > 0, 'worker 2 held some of the connections');
    assert.ok(
      failures.length <= 2 * open2,
      `${failures.length} failures, worker 2 held ${open2} connections: ${failures.join('; ')}`,
    );
    assert.ok(
      failures.every((f) => !f.startsWith('status')),
      `no error answers, only broken connections: ${failures.join('; ')}`,
    );
  });

  it('drains on SIGTERM: readiness goes 503, the request in flight completes, then exit 0', async () => {
    const inFlight = fetch(`${base()}/v1/chat/completions`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ model: 'slow-model', messages: [{ role: 'user', content: 'take your time' }] }),
    });
    // The slow answer is on its way once a worker counts it in flight.
    await waitFor(
      async () => series(await metrics(), 'aihub_http_requests_in_flight').reduce((a, s) => a + s.value, 0) >= 2,
      30_000,
      'the slow request to be in flight',
    );
    cli.child.kill('SIGTERM');
    await waitFor(
      async () => (await getFresh(`${base()}/health/ready`)).status === 503,
      10_000,
      () => `readiness to answer 503 (log: ${cli.log().slice(-2000)})`,
    );
    const res = await inFlight;
    assert.equal(res.status, 200);
    assert.equal(((await res.json()) as { object: string }).object, 'chat.completion');
    assert.equal(await cli.exited, 0, cli.log().slice(-2000));
  });
});

describe('aihub start --workers 1 and the embedded default', () => {
  let dir: string;
  before(() => {
    dir = mkdtempSync(path.join(tmpdir(), 'aihub-cluster-one-'));
  });
  after(() => rmSync(dir, { recursive: true, force: true }));

  it('runs one process as without --workers: no cluster series, SIGTERM exits 0', async () => {
    const port = await freePort();
    const file = path.join(dir, 'one.yaml');
    writeFileSync(file, configYaml(port, path.join(dir, 'one')));
    const cli = startCli(['--config', file, '--workers', '1']);
    await waitFor(
      async () => (await getFresh(`http://127.0.0.1:${port}/v1/models`)).status === 200,
      120_000,
      () => `the gateway to listen (log: ${cli.log().slice(-2000)})`,
    );
    const text = (await getFresh(`http://127.0.0.1:${port}/metrics`)).body;
    assert.match(text, /aihub_http_requests_total/);
    assert.doesNotMatch(text, /aihub_cluster_/);
    assert.ok(series(text, 'aihub_http_requests_in_flight').every((s) => s.labels.worker === undefined));
    cli.child.kill('SIGTERM');
    assert.equal(await cli.exited, 0);
  });

  it('refuses more than one worker on SQLite and the in-memory store, saying why (exit 78)', async () => {
    const file = path.join(dir, 'two.yaml');
    writeFileSync(file, configYaml(await freePort(), path.join(dir, 'two')));
    const cli = startCli(['--config', file, '--workers', '2']);
    assert.equal(await cli.exited, 78);
    assert.match(cli.log(), /server\.workers.*PostgreSQL/);
    assert.match(cli.log(), /server\.workers.*Redis/);
  });
});
