import type { ChildProcess } from 'node:child_process';
import { createConnection } from 'node:net';
import { freePort, spawnTool, stopChild, waitFor } from './observability-process';

/**
 * A redis-server of the test's own (no persistence), so the test can take the store away from a
 * gateway to produce store errors without touching the shared Redis on :6379.
 */
export interface OwnRedis {
  url: string;
  /** Stops the server (gateways see connection errors). */
  down(): Promise<void>;
  /** Starts it again on the same port (empty). */
  up(): Promise<void>;
  stop(): Promise<void>;
}

function accepts(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const s = createConnection({ host: '127.0.0.1', port }, () => {
      s.end();
      resolve(true);
    });
    s.once('error', () => resolve(false));
  });
}

export async function startOwnRedis(): Promise<OwnRedis> {
  const port = await freePort();
  let child: ChildProcess | undefined;
  const up = async () => {
    const started = await spawnTool(
      'redis-server',
      ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no'],
      'apt-get install -y --no-install-recommends redis-server',
    );
    child = started.child;
    await waitFor(() => accepts(port), 10_000, `redis-server on port ${port} (${started.output()})`);
  };
  const down = async () => {
    if (child) await stopChild(child);
    child = undefined;
  };
  await up();
  return { url: `redis://127.0.0.1:${port}`, up, down, stop: down };
}
