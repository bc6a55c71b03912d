/**
 * Runs the mock upstream as its own process (the benchmark pins it to a separate core):
 *
 *   node --conditions=aihub-source --import tsx bench/src/mock-upstream/cli.ts --port 0 --latency-ms 0
 *
 * Prints one JSON line `{"url":"http://127.0.0.1:PORT","port":PORT}` on stdout once listening, and
 * exits 0 on SIGTERM/SIGINT. Options: --port, --host, --latency-ms, --chunk-delay-ms,
 * --completion-tokens, --embedding-dimensions, --api-key, --record (requests kept; default 0 here).
 */
import { parseArgs } from 'node:util';
import { startMockUpstream } from './server';

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      port: { type: 'string', default: '0' },
      host: { type: 'string', default: '127.0.0.1' },
      'latency-ms': { type: 'string', default: '0' },
      'chunk-delay-ms': { type: 'string', default: '0' },
      'completion-tokens': { type: 'string', default: '16' },
      'embedding-dimensions': { type: 'string', default: '8' },
      'api-key': { type: 'string' },
      record: { type: 'string', default: '0' },
    },
    strict: true,
  });
  const int = (name: keyof typeof values): number => {
    const n = Number(values[name]);
    if (!Number.isInteger(n) || n < 0) throw new Error(`--${name} must be a non-negative integer`);
    return n;
  };
  const mock = await startMockUpstream({
    port: int('port'),
    host: values.host,
    latencyMs: int('latency-ms'),
    chunkDelayMs: int('chunk-delay-ms'),
    completionTokens: int('completion-tokens'),
    embeddingDimensions: int('embedding-dimensions'),
    apiKey: values['api-key'],
    record: int('record'),
  });
  process.stdout.write(`${JSON.stringify({ url: mock.url, port: mock.port })}\n`);
  const stop = () => {
    void mock.close().then(() => process.exit(0));
  };
  process.once('SIGTERM', stop);
  process.once('SIGINT', stop);
}

main().catch((err: Error) => {
  process.stderr.write(`mock upstream failed to start: ${err.message}\n`);
  process.exit(1);
});
