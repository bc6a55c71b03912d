// `taskset -c 0 <node> --max-semi-space-size=32 bench/src/web-objects.mjs`: CPU (process.cpuUsage)
// and GC time (PerformanceObserver) per operation of the Web objects a fetch-based gateway makes for
// every request (a ReadableStream, a Response / Request body read as JSON), on the runtime that runs
// it. Plain JavaScript so that every Node major runs it as is, without tsx's loader in the figures:
// docs/design.md "Node 24" compares Node 20, 22 and 24 with it (why the peer gains on Node 24).
import { PerformanceObserver } from 'node:perf_hooks';

let gcMs = 0;
new PerformanceObserver((list) => {
  for (const e of list.getEntries()) gcMs += e.duration;
}).observe({ entryTypes: ['gc'] });

const settle = () => new Promise((r) => setTimeout(r, 50));

/** µs of CPU and of GC per call of `fn`, after a warm-up of a fifth as many calls. */
async function perCall(name, fn, n) {
  for (let i = 0; i < n / 5; i++) await fn();
  await settle();
  gcMs = 0;
  const start = process.cpuUsage();
  for (let i = 0; i < n; i++) await fn();
  const used = process.cpuUsage(start);
  await settle(); // GC entries are delivered asynchronously
  return `${name} ${((used.user + used.system) / n).toFixed(2)} µs (GC ${((gcMs * 1000) / n).toFixed(2)} µs)`;
}

const body = JSON.stringify({ id: 'x', choices: [{ message: { role: 'assistant', content: 'hello '.repeat(20) } }] });
const out = [process.version];
out.push(await perCall('new ReadableStream()', () => new ReadableStream(), 100_000));
out.push(await perCall('new Response(string).json()', () => new Response(body).json(), 50_000));
out.push(
  await perCall(
    'new Request(POST string).json()',
    () => new Request('http://127.0.0.1/v1', { method: 'POST', body }).json(),
    50_000,
  ),
);
process.stdout.write(`${out.join(' · ')}\n`);
