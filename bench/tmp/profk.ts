import http from 'node:http';
import autocannon from 'autocannon';
import { endServersOnExit, pinSelf, startServer, stopServer } from '../src/lib/load';
async function main() {
  pinSelf(1); endServersOnExit();
  const sink = http.createServer((q, s) => { q.resume(); q.on('end', () => s.writeHead(200).end()); });
  await new Promise<void>((r) => sink.listen(0, '127.0.0.1', r));
  const which = process.argv[2];
  const args = which === 'bare' ? ['bench/src/kernel/bare-koa.ts', '0'] : ['bench/src/kernel/gateway.ts', '0', `http://127.0.0.1:${(sink.address() as { port: number }).port}/v1/traces`];
  const s = await startServer(args, {});
  const url = `http://127.0.0.1:${s.port}/plugins/example/info`;
  const r = await autocannon({ url, connections: 50, amount: Number(process.env.N ?? 150000) });
  console.log(which, r.requests.total);
  await stopServer(s.child);
  sink.close();
}
void main();
