import assert from 'node:assert/strict';
import http from 'node:http';
import net from 'node:net';
import { PassThrough, Readable } from 'node:stream';
import { describe, it } from 'node:test';
import Koa, { type Context } from 'koa';
import { Kernel } from '../kernel/Kernel';
import { definePlugin } from '../plugin-api';
import { createLogger } from '../services/createLogger';
import { answerWithoutFinishedListener } from './respond';

/** Sends one raw HTTP/1.1 request and returns the raw answer with the Date header's value blanked. */
function raw(port: number, request: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const socket = net.connect(port, '127.0.0.1', () => socket.end(request));
    let out = '';
    socket.setEncoding('latin1');
    socket.on('data', (d: string) => (out += d));
    socket.on('end', () => resolve(out.replace(/\r\nDate: [^\r]*/, '\r\nDate: -')));
    socket.on('error', reject);
  });
}

async function serve(app: Koa): Promise<{ port: number; close: () => Promise<void> }> {
  const server = http.createServer(app.callback());
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return {
    port: (server.address() as net.AddressInfo).port,
    close: () => new Promise<void>((r) => server.close(() => r())),
  };
}

/** Every kind of answer Koa's respond tells apart. */
const CASES: Record<string, (ctx: Context) => void> = {
  buffer: (ctx) => {
    ctx.type = 'application/json';
    ctx.body = Buffer.from('{"a":1}');
  },
  string: (ctx) => {
    ctx.body = 'héllo';
  },
  json: (ctx) => {
    ctx.body = { ok: true, n: [1, 2] };
  },
  stream: (ctx) => {
    ctx.type = 'text/event-stream';
    ctx.body = Readable.from(['data: 1\n\n', 'data: 2\n\n']);
  },
  'no body (404 text)': () => {},
  'status without body': (ctx) => {
    ctx.status = 418;
  },
  'explicit null body': (ctx) => {
    ctx.status = 200;
    ctx.body = null;
  },
  'empty status 204 with a body': (ctx) => {
    ctx.body = 'dropped';
    ctx.status = 204;
  },
  'empty status 304': (ctx) => {
    ctx.status = 304;
  },
  'respond false': (ctx) => {
    ctx.respond = false;
    ctx.res.writeHead(202, { 'x-own': '1' }).end('own');
  },
  'middleware throws': () => {
    throw Object.assign(new Error('teapot'), { status: 418, expose: true });
  },
};

describe('answerWithoutFinishedListener', () => {
  it('answers every kind of body byte for byte as Koa does', async () => {
    const apps = [false, true].map((patched) => {
      const app = new Koa();
      app.silent = true;
      if (patched) answerWithoutFinishedListener(app);
      app.use((ctx) => CASES[decodeURIComponent(ctx.path.slice(1))](ctx));
      return serve(app);
    });
    const [koa, ours] = await Promise.all(apps);
    try {
      for (const name of Object.keys(CASES)) {
        for (const method of ['GET', 'HEAD']) {
          const request = `${method} /${encodeURIComponent(name)} HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n`;
          assert.equal(await raw(ours.port, request), await raw(koa.port, request), `${method} ${name}`);
        }
      }
    } finally {
      await Promise.all([koa.close(), ours.close()]);
    }
  });

  it('adds no listener to the response or its socket per request', async () => {
    const app = new Koa();
    answerWithoutFinishedListener(app);
    let counts: number[] = [];
    app.use((ctx) => {
      counts = [ctx.res.listenerCount('finish'), ctx.req.socket.listenerCount('close')];
      ctx.body = 'ok';
    });
    const plain = new Koa();
    let plainCounts: number[] = [];
    plain.use((ctx) => {
      plainCounts = [ctx.res.listenerCount('finish'), ctx.req.socket.listenerCount('close')];
      ctx.body = 'ok';
    });
    const [a, b] = await Promise.all([serve(app), serve(plain)]);
    try {
      const request = 'GET / HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n';
      await raw(a.port, request);
      await raw(b.port, request);
      // Koa's own handleRequest adds on-finished's listener on each (the check that this test can fail).
      assert.deepEqual(
        counts.map((n, i) => plainCounts[i] - n),
        [1, 1],
      );
    } finally {
      await Promise.all([a.close(), b.close()]);
    }
  });

  it('still reports a connection that failed before its answer was sent (the kernel logs it)', async () => {
    let release!: () => void;
    const held = new Promise<void>((r) => (release = r));
    let arrived!: () => void;
    const inHandler = new Promise<void>((r) => (arrived = r));
    const plugin = definePlugin({
      apiVersion: 'aihub.plugin/v1',
      name: 'slow',
      version: '1.0.0',
      core: '^0.1.0',
      routes: (r) => {
        r.get(
          '/wait',
          async (c) => {
            arrived();
            await held;
            c.body = { ok: true };
          },
          { auth: 'none', pipeline: false, summary: 'waits' },
        );
      },
    });
    const stream = new PassThrough();
    let text = '';
    stream.on('data', (d) => (text += d));
    const kernel = await Kernel.start({
      inline: {
        server: { host: '127.0.0.1', port: 0 },
        database: { url: 'sqlite::memory:' },
        telemetry: { metrics: { processMetrics: false } },
        plugins: [{ name: 'slow' }],
      },
      definitions: [plugin],
      logger: createLogger({ level: 'info', format: 'json', stream }),
    });
    try {
      const { port } = new URL(kernel.url);
      const socket = net.connect(Number(port), '127.0.0.1');
      socket.on('error', () => {});
      socket.write('GET /plugins/slow/wait HTTP/1.1\r\nHost: x\r\n\r\n');
      await inHandler;
      // A reset, not a FIN: the server's socket fails with ECONNRESET.
      socket.resetAndDestroy();
      const deadline = Date.now() + 5000;
      while (!text.includes('response stream error') && Date.now() < deadline)
        await new Promise((r) => setTimeout(r, 20));
      release();
      const line = text
        .split('\n')
        .filter(Boolean)
        .map((l) => JSON.parse(l) as { msg?: string; message?: string; err?: { code?: string } })
        .find((l) => (l.msg ?? l.message) === 'response stream error');
      assert.ok(line, `no 'response stream error' line in:\n${text}`);
    } finally {
      release();
      await kernel.stop();
    }
  });
});
