/**
 * The floor for any Node gateway: a bare node:http pass-through proxy with an undici keep-alive pool
 * to the upstream. No auth, no parsing, no metrics: whatever AI Hub adds is measured against this.
 * Usage: bare-proxy.ts <port> <upstream origin>
 */
import http from 'node:http';
import { createRequire } from 'node:module';

// BENCH_UNDICI (a resolved module path; runtime-ab.ts's `u<major>` variants): another undici than
// the one bench/ resolves (the root's, which npm hoisted for node-gyp), e.g. the version AI Hub ships.
const { Pool } = createRequire(__filename)(process.env.BENCH_UNDICI ?? 'undici') as typeof import('undici');

const port = Number(process.argv[2] ?? 0);
const upstream = process.argv[3] ?? 'http://127.0.0.1:9999';
const pool = new Pool(upstream, { connections: 256, pipelining: 1, keepAliveTimeout: 30_000 });

const server = http.createServer((req, res) => {
  const chunks: Buffer[] = [];
  req.on('data', (c: Buffer) => chunks.push(c));
  req.on('end', () => {
    const headers = { ...req.headers };
    delete headers.host;
    delete headers.connection;
    pool
      .request({
        path: req.url ?? '/',
        method: req.method as 'POST',
        headers,
        body: chunks.length ? Buffer.concat(chunks) : undefined,
      })
      .then((up) => {
        const out: Record<string, string | string[]> = {};
        for (const [k, v] of Object.entries(up.headers))
          if (v !== undefined && k !== 'connection' && k !== 'keep-alive' && k !== 'transfer-encoding') out[k] = v;
        res.writeHead(up.statusCode, out);
        up.body.on('error', () => res.destroy());
        up.body.pipe(res);
      })
      .catch(() => {
        if (!res.headersSent) res.writeHead(502).end();
        else res.destroy();
      });
  });
});
server.keepAliveTimeout = 65_000;
server.listen(port, '127.0.0.1', () =>
  process.stdout.write(`listening ${(server.address() as { port: number }).port}\n`),
);
process.on('SIGTERM', () => server.close(() => process.exit(0)));
