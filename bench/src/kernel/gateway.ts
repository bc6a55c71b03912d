/** The AI Hub kernel with the health and example plugins, tracing at its production default. */
import { Kernel } from '@aihub/core';

const port = Number(process.argv[2] ?? 0);
const otlp = process.argv[3];
async function main() {
  const kernel = await Kernel.start({
    inline: {
      server: { host: '127.0.0.1', port },
      database: { url: 'sqlite::memory:' },
      logging: { level: 'warn' },
      telemetry: { tracing: { endpoint: otlp, sampleRatio: 0.1 } },
      plugins: [
        { name: 'health' },
        { name: 'example', config: { limits: [{ pathPrefix: '/plugins/example', maxBytes: 65536 }] } },
      ],
    },
    env: {},
  });
  process.stdout.write(`listening ${kernel.port}\n`);
  process.on('SIGTERM', () => void kernel.stop('bench').then(() => process.exit(0)));
}
main().catch((err) => {
  process.stderr.write(`${(err as Error).stack}\n`);
  process.exit(1);
});
