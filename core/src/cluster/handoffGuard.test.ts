/**
 * A plain node:cluster (round-robin, as on Linux by default) with two HTTP workers, new connections
 * opened in a loop while one worker is SIGKILLed. Without the guard about one connection per kill is
 * handed to the dying worker and then neither served nor closed: its client hangs. With it, that
 * connection ends at once like the requests that were on the worker.
 */
import assert from 'node:assert/strict';
import cluster, { type Worker } from 'node:cluster';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import http from 'node:http';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, before, it } from 'node:test';
import { guardHandoffs } from './handoffGuard';

let dir: string;
before(() => {
  dir = mkdtempSync(path.join(tmpdir(), 'aihub-handoff-'));
  const worker = path.join(dir, 'worker.js');
  writeFileSync(
    worker,
    `require('node:http').createServer((q, s) => setTimeout(() => s.end('x'), 2)).listen(Number(process.env.PORT), '127.0.0.1');`,
  );
  cluster.setupPrimary({ exec: worker, silent: true });
});
after(() => rmSync(dir, { recursive: true, force: true }));

/** One request on a connection of its own: `ok`, the error code, or `hang` after 10 s without an end (a loaded CI machine stays far below). */
function once(port: number): Promise<string> {
  return new Promise((resolve) => {
    const req = http.get({ host: '127.0.0.1', port, agent: false, headers: { connection: 'close' } }, (res) => {
      res.resume();
      res.on('end', () => resolve('ok'));
      res.on('error', (e: NodeJS.ErrnoException) => resolve(e.code ?? e.message));
    });
    req.on('error', (e: NodeJS.ErrnoException) => resolve(e.code ?? e.message));
    req.setTimeout(10_000, () => {
      req.destroy();
      resolve('hang');
    });
  });
}

it('a connection handed to a worker as it is killed ends instead of hanging (3 kills)', async () => {
  const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
  const tally: Record<string, number> = {};
  for (let kill = 0; kill < 3; kill++) {
    // Port 0: the primary picks a free port once and every worker listening on 0 shares it.
    const workers: Worker[] = [cluster.fork({ PORT: '0' }), cluster.fork({ PORT: '0' })];
    for (const w of workers) guardHandoffs(w);
    const ports = await Promise.all(
      workers.map((w) => new Promise<number>((r) => w.once('listening', (a: { port: number }) => r(a.port)))),
    );
    assert.equal(ports[0], ports[1], 'both workers share one port');
    const port = ports[0];
    let stop = false;
    const loops = Array.from({ length: 20 }, async () => {
      while (!stop) {
        const r = await once(port);
        tally[r] = (tally[r] ?? 0) + 1;
      }
    });
    await sleep(500);
    workers[1].process.kill('SIGKILL');
    await sleep(1_000);
    stop = true;
    await Promise.all(loops);
    await Promise.all(
      workers.map((w) => (w.isDead() ? undefined : new Promise((r) => (w.once('exit', r), w.process.kill('SIGKILL'))))),
    );
  }
  assert.ok((tally.ok ?? 0) > 100, JSON.stringify(tally));
  assert.equal(tally.hang ?? 0, 0, `no connection left hanging: ${JSON.stringify(tally)}`);
});
