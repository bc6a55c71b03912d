import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { readdirSync, readFileSync } from 'node:fs';
import { describe, it } from 'node:test';
import { startPeer } from '../peer/startPeer';
import { cleanUp, startServer, stopServer } from './load';

/** A real process that runs until it is ended. */
function sleeper(): ChildProcess {
  return spawn(process.execPath, ['-e', 'setInterval(() => {}, 1000)'], { stdio: 'ignore' });
}

describe('bench clean-up', () => {
  it('runs every step when one in the middle fails, and reports the failure', async () => {
    const children = [sleeper(), sleeper(), sleeper()];
    await Promise.all(children.map((c) => once(c, 'spawn')));
    const exitCode = process.exitCode;
    try {
      const failures = await cleanUp('cleanUp.test', [
        () => stopServer(children[0]),
        () => {
          throw new Error('induced');
        },
        () => stopServer(children[1]),
        async () => Promise.reject(new Error('induced, async')),
        () => stopServer(children[2]),
      ]);
      assert.deepEqual(
        failures.map((f) => (f as Error).message),
        ['induced', 'induced, async'],
      );
      assert.equal(process.exitCode, 1);
      for (const c of children) assert.ok(c.exitCode !== null || c.signalCode !== null, `${c.pid} still runs`);
    } finally {
      process.exitCode = exitCode;
      for (const c of children) c.kill('SIGKILL');
    }
  });

  it('stopServer returns at once for a server a signal already ended', async () => {
    const child = sleeper();
    await once(child, 'spawn');
    child.kill('SIGKILL');
    await once(child, 'exit');
    // exitCode stays null when a signal ended the process: it waited 5 s for an 'exit' that had come.
    const started = performance.now();
    await stopServer(child);
    assert.ok(performance.now() - started < 1000, `${Math.round(performance.now() - started)} ms`);
  });

  it('startServer rejects a server whose "listening" comes after its timeout fired, and ends it', async () => {
    // The server says "listening" only once it is told to stop (SIGTERM from the timeout), then exits:
    // startServer resolved with it (a server being stopped) before; now it rejects on its exit.
    const script =
      "process.on('SIGTERM', () => { console.log('listening 1'); setTimeout(() => process.exit(0), 100); });" +
      'setInterval(() => {}, 1000);';
    const before = new Set(children());
    const started = performance.now();
    await assert.rejects(
      startServer(['-e', script], {}, 0, process.cwd(), process.execPath, 2_000),
      /did not start within 2 s/,
    );
    assert.ok(performance.now() - started < 6000, 'rejected on its exit, not after stopServer gave up');
    assert.deepEqual(
      children().filter((pid) => !before.has(pid)),
      [],
    );
  });

  it('startPeer ends the peer it started when the start times out', async () => {
    const before = new Set(children()); // tsx's own helper process, if any
    await assert.rejects(startPeer('http://127.0.0.1:9', { startTimeoutMs: 1 }), /did not (listen|answer) within/);
    assert.deepEqual(
      children().filter((pid) => !before.has(pid)),
      [],
    );
  });
});

/** This process's running children (from /proc): other engineers' processes are not counted. */
function children(): number[] {
  const pids: number[] = [];
  for (const d of readdirSync('/proc')) {
    if (!/^\d+$/.test(d)) continue;
    try {
      const ppid = /^PPid:\s+(\d+)/m.exec(readFileSync(`/proc/${d}/status`, 'utf8'))?.[1];
      if (Number(ppid) === process.pid) pids.push(Number(d));
    } catch {
      // ended meanwhile
    }
  }
  return pids;
}
