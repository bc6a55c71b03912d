/**
 * The floor for the kernel benchmark: a bare Koa app answering the same route with the same JSON
 * body and headers the example plugin's route sends, with no plugins, metrics or tracing.
 */
import http from 'node:http';
import { randomUUID } from 'node:crypto';
import Koa from 'koa';
import Router from '@koa/router';

const port = Number(process.argv[2] ?? 0);
const app = new Koa();
const router = new Router();
router.get('/plugins/example/info', (ctx) => {
  ctx.set('x-request-id', randomUUID());
  ctx.set('x-aihub-example', 'hello');
  ctx.body = {
    header: 'x-aihub-example',
    limits: [{ pathPrefix: '/plugins/example', maxBytes: 65536 }],
    stats: { stamped: 0, rejected: 0 },
  };
});
app.use(router.routes());
const server = http.createServer(app.callback());
server.keepAliveTimeout = 65_000;
server.listen(port, '127.0.0.1', () =>
  process.stdout.write(`listening ${(server.address() as { port: number }).port}\n`),
);
process.on('SIGTERM', () => server.close(() => process.exit(0)));
