import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, describe, it } from 'node:test';
import { freePort, runCli, waitFor } from './support';

// Issue 14 item 3: a load balancer learns of a shutdown from readiness, not from refused connections.
const fixtures = path.join(__dirname, 'fixtures');
const tmp = mkdtempSync(path.join(tmpdir(), 'aihub-drain-'));
after(() => rmSync(tmp, { recursive: true, force: true }));

describe('aihub start, SIGTERM with server.shutdownDelayMs', () => {
  it('SIGTERM: keeps serving with readiness 503 for server.shutdownDelayMs, lets in-flight requests finish, exits 0', async () => {
    const port = await freePort();
    const child = runCli(['start', '--config', path.join(fixtures, 'slow.yaml')], {
      TEST_PORT: String(port),
      TEST_DB_URL: `sqlite:${path.join(tmp, 'delay.sqlite')}`,
      AIHUB__SERVER__SHUTDOWN_DELAY_MS: '3000',
    });
    let stderr = '';
    child.stderr!.on('data', (d) => (stderr += d));
    child.stdout!.resume();
    const exited = new Promise<number | null>((resolve) => child.on('exit', (c) => resolve(c)));
    const base = `http://127.0.0.1:${port}`;
    await waitFor(
      async () => (await fetch(`${base}/health/ready`)).status === 200,
      120_000,
      'gateway to be ready',
    ).catch((err) => {
      child.kill('SIGKILL');
      throw new Error(`${(err as Error).message}:\n${stderr}`);
    });
    const slow = fetch(`${base}/plugins/slow/wait`);
    await new Promise((r) => setTimeout(r, 200));
    const signalled = Date.now();
    child.kill('SIGTERM');
    await waitFor(
      async () => (await fetch(`${base}/health/ready`)).status === 503,
      2500,
      'readiness to answer 503',
    ).catch((err) => {
      child.kill('SIGKILL');
      throw err;
    });
    // Still listening during the delay: a load balancer's next probe gets an answer, not a refused connection.
    const live = await fetch(`${base}/health/live`);
    assert.equal(live.status, 200);
    assert.ok(Date.now() - signalled < 3000, 'the probes ran inside the delay');
    const res = await slow;
    assert.equal(res.status, 200);
    assert.deepEqual(await res.json(), { waited: 1500 });
    assert.equal(await exited, 0, stderr);
    assert.ok(Date.now() - signalled >= 3000, 'did not stop before the delay was over');
    await assert.rejects(fetch(`${base}/health/live`));
  });
});
