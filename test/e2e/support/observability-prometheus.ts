import type { ChildProcess } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { freePort, spawnTool, stopChild, waitFor } from './observability-process';

export const PROMETHEUS_INSTALL = 'apt-get update && apt-get install -y --no-install-recommends prometheus';

export interface ScrapeTarget {
  address: string;
  labels: Record<string, string>;
}

/** A sample of an instant vector result. */
export interface VectorSample {
  metric: Record<string, string>;
  value: [number, string];
}

export interface QueryResult {
  resultType: 'vector' | 'matrix' | 'scalar' | 'string';
  result: unknown;
}

export interface Prometheus {
  url: string;
  /** Instant query; throws with Prometheus' error (e.g. a parse error) when the query is rejected. */
  query(expr: string): Promise<QueryResult>;
  /** Instant query that must return a vector. */
  vector(expr: string): Promise<VectorSample[]>;
  /** GET /api/v1/<path>; returns `data`. */
  api<T>(pathAndQuery: string): Promise<T>;
  stop(): Promise<void>;
}

/**
 * Starts Debian's `prometheus` on a random 127.0.0.1 port with a generated config scraping the given
 * targets every second, the given rule files, TSDB storage in a temp dir and exemplar storage on.
 */
export async function startPrometheus(options: {
  job: string;
  targets: ScrapeTarget[];
  ruleFiles: string[];
}): Promise<Prometheus> {
  const dir = await mkdtemp(path.join(os.tmpdir(), 'aihub-prometheus-'));
  const config = {
    global: { scrape_interval: '1s', scrape_timeout: '900ms', evaluation_interval: '1s' },
    rule_files: options.ruleFiles,
    scrape_configs: [
      {
        job_name: options.job,
        static_configs: options.targets.map((t) => ({ targets: [t.address], labels: t.labels })),
      },
    ],
  };
  // JSON is YAML: no YAML writer needed for a generated file.
  const configFile = path.join(dir, 'prometheus.yml');
  await writeFile(configFile, JSON.stringify(config, null, 2));

  let child: ChildProcess | undefined;
  let url = '';
  let output = () => '';
  for (let attempt = 1; ; attempt++) {
    const port = await freePort();
    url = `http://127.0.0.1:${port}`;
    const started = await spawnTool(
      'prometheus',
      [
        `--config.file=${configFile}`,
        `--storage.tsdb.path=${path.join(dir, 'data')}`,
        `--web.listen-address=127.0.0.1:${port}`,
        '--enable-feature=exemplar-storage',
        '--log.level=warn',
      ],
      PROMETHEUS_INSTALL,
    );
    child = started.child;
    output = started.output;
    try {
      const proc = child;
      await waitFor(
        async () => {
          if (proc.exitCode !== null) throw new Error(`prometheus exited with ${proc.exitCode}: ${output()}`);
          return (await fetch(`${url}/-/ready`)).ok;
        },
        20_000,
        'Prometheus to be ready',
      );
      break;
    } catch (err) {
      await stopChild(child);
      // A port taken between freePort() and listen: try another one.
      if (attempt < 3 && /address already in use/.test(output())) continue;
      await rm(dir, { recursive: true, force: true });
      throw new Error(`Prometheus did not start: ${(err as Error).message}\n${output()}`);
    }
  }

  const api = async <T>(pathAndQuery: string): Promise<T> => {
    const res = await fetch(`${url}/api/v1/${pathAndQuery}`);
    const body = (await res.json()) as { status: string; data?: T; error?: string; errorType?: string };
    if (body.status !== 'success')
      throw new Error(`Prometheus ${body.errorType ?? res.status}: ${body.error ?? 'unknown error'}`);
    return body.data as T;
  };
  const query = (expr: string) => api<QueryResult>(`query?query=${encodeURIComponent(expr)}`);
  const proc = child;
  return {
    url,
    api,
    query,
    async vector(expr) {
      const r = await query(expr);
      if (r.resultType !== 'vector') throw new Error(`expected a vector from ${expr}, got ${r.resultType}`);
      return r.result as VectorSample[];
    },
    async stop() {
      await stopChild(proc);
      await rm(dir, { recursive: true, force: true });
    },
  };
}
