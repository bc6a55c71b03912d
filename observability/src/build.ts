/**
 * Writes the Grafana dashboards (docker/grafana/dashboards/*.json) and the Prometheus rules
 * (docker/prometheus/rules/aihub.rules.yml) from their TypeScript sources. The outputs are committed;
 * observability/src/dashboards.test.ts fails when they drift from a fresh build.
 *
 *   node --conditions=aihub-source --import tsx observability/src/build.ts
 */
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { generatedFiles, REPO_ROOT } from './artifacts';

async function main(): Promise<void> {
  for (const [file, contents] of generatedFiles()) {
    const before = await readFile(file, 'utf8').catch(() => undefined);
    const rel = path.relative(REPO_ROOT, file);
    if (before === contents) {
      process.stdout.write(`unchanged ${rel}\n`);
      continue;
    }
    await mkdir(path.dirname(file), { recursive: true });
    await writeFile(file, contents);
    process.stdout.write(`wrote     ${rel}\n`);
  }
}

main().catch((err: unknown) => {
  process.stderr.write(`build failed: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
  process.exit(1);
});
