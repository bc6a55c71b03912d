/**
 * The guard's bookkeeping against a fake worker, in the orders node:cluster can deliver its events:
 * deterministic, unlike the kill race in handoffGuard.test.ts.
 */
import assert from 'node:assert/strict';
import type { Worker } from 'node:cluster';
import { EventEmitter } from 'node:events';
import { it } from 'node:test';
import { guardHandoffs } from './handoffGuard';

function fakeWorker() {
  const proc = Object.assign(new EventEmitter(), { connected: true, send: (_m: unknown, _h?: unknown) => true });
  const worker = Object.assign(new EventEmitter(), { process: proc });
  guardHandoffs(worker as unknown as Worker);
  const handle = () => ({
    closed: 0,
    close() {
      this.closed++;
    },
  });
  const newconn = (seq: number, h: unknown) => proc.send({ cmd: 'NODE_CLUSTER', act: 'newconn', key: 'k', seq }, h);
  const ack = (seq: number, accepted: boolean) =>
    proc.emit('internalMessage', { cmd: 'NODE_CLUSTER', ack: seq, accepted });
  /** The worker dies: its exit, then (later, or already before it) its last messages and the channel's EOF. */
  const died = async (late?: () => void) => {
    worker.emit('exit', null, 'SIGKILL');
    await new Promise((r) => setTimeout(r, 1));
    late?.();
    proc.connected = false;
    await new Promise((r) => setTimeout(r, 50));
  };
  return { handle, newconn, ack, died };
}

it('closes a connection the dead worker never answered for, once', async () => {
  const w = fakeWorker();
  const h = w.handle();
  w.newconn(1, h);
  await w.died();
  assert.equal(h.closed, 1);
});

it('leaves a connection the worker answered for (taken, or refused and passed on) to node:cluster', async () => {
  const w = fakeWorker();
  const taken = w.handle();
  const refused = w.handle();
  w.newconn(1, taken);
  w.newconn(2, refused);
  w.ack(1, true);
  w.ack(2, false);
  await w.died();
  assert.equal(taken.closed, 0);
  assert.equal(refused.closed, 0);
});

it('an answer read after the exit event still counts: a refused connection is not closed under the worker it goes to next', async () => {
  // The exit (SIGCHLD) and the worker's last IPC messages race in the primary's event loop; node:cluster
  // passes a refused handle to another worker when the answer arrives, and sending a closed handle is an
  // EBADF 'error' on that worker, which nothing handles.
  const w = fakeWorker();
  const refused = w.handle();
  w.newconn(1, refused);
  await w.died(() => w.ack(1, false));
  assert.equal(refused.closed, 0);
});
