import assert from 'node:assert/strict';
import { PassThrough } from 'node:stream';
import { describe, it } from 'node:test';
import { Kernel } from '../kernel/Kernel';
import { definePlugin } from '../plugin-api';
import { createLogger } from '../services/createLogger';

// Issue 14 item 16: `logging.access` writes one JSON line per request, after the answer, with the
// route pattern (never the path or query string, which may carry tokens).
const plugin = definePlugin({
  apiVersion: 'aihub.plugin/v1',
  name: 'echo',
  version: '1.0.0',
  core: '^0.1.0',
  routes: (r) => {
    r.get(
      '/:id',
      (c) => {
        c.body = { ok: true };
      },
      { auth: 'none', pipeline: false, summary: 'echo' },
    );
  },
});

async function linesOf(access: boolean, run: (url: string) => Promise<void>): Promise<Record<string, unknown>[]> {
  const stream = new PassThrough();
  let text = '';
  stream.on('data', (d) => (text += d));
  const kernel = await Kernel.start({
    inline: {
      server: { host: '127.0.0.1', port: 0 },
      database: { url: 'sqlite::memory:' },
      logging: { access },
      telemetry: { metrics: { processMetrics: false } },
      plugins: [{ name: 'echo' }],
    },
    definitions: [plugin],
    logger: createLogger({ level: 'info', format: 'json', stream }),
  });
  try {
    await run(kernel.url);
    // The line is written when the response closes; give the stream a turn.
    await new Promise((r) => setTimeout(r, 50));
  } finally {
    await kernel.stop();
  }
  return text
    .split('\n')
    .filter(Boolean)
    .map((l) => JSON.parse(l) as Record<string, unknown>)
    .filter((l) => l.message === 'request');
}

describe('access log', () => {
  it('logging.access: one line per request with route, status, duration and request id; no path or query', async () => {
    const lines = await linesOf(true, async (url) => {
      const res = await fetch(`${url}/plugins/echo/secret-id-123?token=tok_very_secret`, {
        headers: { 'x-request-id': 'req-access-1' },
      });
      assert.equal(res.status, 200);
      assert.equal((await fetch(`${url}/nowhere?token=tok_very_secret`)).status, 404);
    });
    assert.equal(lines.length, 2, JSON.stringify(lines));
    const [hit, miss] = lines;
    assert.equal(hit.method, 'GET');
    assert.equal(hit.route, '/plugins/echo/:id');
    assert.equal(hit.status, 200);
    assert.equal(hit.request_id, 'req-access-1');
    assert.equal(typeof hit.duration_ms, 'number');
    assert.ok('tenant_id' in hit);
    assert.equal(miss.status, 404);
    assert.equal(miss.route, 'unmatched');
    assert.doesNotMatch(JSON.stringify(lines), /tok_very_secret|secret-id-123/);
  });

  it('is off by default', async () => {
    const lines = await linesOf(false, async (url) => {
      assert.equal((await fetch(`${url}/plugins/echo/1`)).status, 200);
    });
    assert.deepEqual(lines, []);
  });
});
