/**
 * AI Hub as benchmarked: the production plugin chain on PostgreSQL and Redis, tracing at the
 * production default (parent-based 10%) to a local OTLP sink, metrics on.
 * Usage: gateway.ts <port>   with env BENCH_PROFILE, BENCH_UPSTREAM, BENCH_DB_URL, BENCH_REDIS_URL,
 * BENCH_REDIS_PREFIX, BENCH_OTLP, AIHUB_BOOTSTRAP_ADMIN_KEY.
 *
 * Profiles: full (health, tenancy, auth, ai, usage), noauth (health, ai, usage; no caller identity),
 * ratelimit (full + rate-limit with limits far above the load), cache (full + cache).
 *
 * BENCH_ABLATE (comma-separated, for `npm run bench:ablate`): `tracing` (no tracer), `sampled` (tracing on, no trace kept: context propagation without spans), `usage` (no usage
 * plugin), `writeahead` (usage without the pending record).
 *
 * BENCH_ROLE: `api` (default) serves traffic and enqueues usage (write-ahead and final records) with
 * its usage consumer off; `worker` is a second instance with the same config that only consumes
 * (usage.consumer.enabled), as a production deployment splits serving nodes from metering workers;
 * `single` serves AND consumes in one process, as a small deployment runs (the RSS figures).
 *
 * BENCH_MEMORY_REPORT=1: on SIGUSR2 the process prints one `memory {json}` line on stdout (heap,
 * external, array buffers, code space, loaded modules; after a full GC when --expose-gc is on).
 * BENCH_HEAP_SNAPSHOT=<dir> with it: each report first writes a heap snapshot there (`<pid>-<n>.heapsnapshot`),
 * for the before/after-load diff (bench/src/heapDiff.ts).
 * BENCH_ALLOC_PROFILE=<file>: V8's sampling heap profiler runs from start, counting objects young GCs
 * collect too (what allocates, not what stays); on SIGTERM the profile is written there (a
 * `.heapprofile`, for DevTools or bench/src/allocProfile.ts).
 * BENCH_HEAP_TRACE=<file>: every 500 ms one JSON line is appended there with the RSS and what V8 has
 * committed and uses per heap space (no GC is forced), external and array buffer memory, in
 * MB: where the RSS under load goes (new space, old space, or outside V8's heap).
 */
import { appendFileSync, writeFileSync } from 'node:fs';
import { Session } from 'node:inspector';
import path from 'node:path';
import { constants, PerformanceObserver } from 'node:perf_hooks';
import { getHeapSpaceStatistics, writeHeapSnapshot } from 'node:v8';
import { Kernel } from '@aihub/core';

const port = Number(process.argv[2] ?? 0);
const env = process.env;
const profile = env.BENCH_PROFILE ?? 'full';
const ablate = new Set((env.BENCH_ABLATE ?? '').split(',').filter(Boolean));

const ai = {
  name: 'ai',
  config: {
    requireAuth: profile !== 'noauth',
    providers: { upstream: { type: 'openai', baseUrl: `${env.BENCH_UPSTREAM}/v1`, apiKey: 'bench-upstream-key' } },
    models: {
      'gpt-4o-mini': { deployments: [{ provider: 'upstream', model: 'gpt-4o-mini' }] },
      'text-embedding-3-small': { deployments: [{ provider: 'upstream', model: 'text-embedding-3-small' }] },
    },
  },
};
const plugins: { name: string; config?: unknown }[] = [{ name: 'health' }];
if (profile !== 'noauth') {
  plugins.push(
    { name: 'tenancy' },
    {
      name: 'auth',
      config: {
        keySecret: 'bench-key-secret-0123456789abcdef0123456789',
        bootstrap: { adminKey: env.AIHUB_BOOTSTRAP_ADMIN_KEY, print: false },
      },
    },
  );
}
if (profile === 'ratelimit')
  plugins.push({
    name: 'rate-limit',
    config: { defaults: { requestsPerMinute: 100_000_000, tokensPerMinute: 10_000_000_000 } },
  });
if (profile === 'cache') plugins.push({ name: 'cache' });
plugins.push(ai);
if (!ablate.has('usage'))
  plugins.push({
    name: 'usage',
    config: {
      consumer: { enabled: env.BENCH_ROLE === 'worker' || env.BENCH_ROLE === 'single' },
      writeAhead: { enabled: !ablate.has('writeahead') },
    },
  });

/** GC pauses so far (counts and ms, young = scavenges, old = mark-compacts): per request, the semi-space A/B's cost. */
const gcs = { young: 0, youngMs: 0, old: 0, oldMs: 0 };
if (env.BENCH_MEMORY_REPORT === '1')
  new PerformanceObserver((list) => {
    for (const e of list.getEntries()) {
      const young = (e as { detail?: { kind?: number } }).detail?.kind === constants.NODE_PERFORMANCE_GC_MINOR;
      gcs[young ? 'young' : 'old']++;
      gcs[young ? 'youngMs' : 'oldMs'] += e.duration;
    }
  }).observe({ entryTypes: ['gc'] });

const mb = (n: number) => Math.round(n / 1e5) / 10;

/**
 * The process's memory in MB: RSS, V8's totals, and each heap space's used size (`<space>`), or with
 * `committed` its committed size (`<space>`) beside the used one (`<space>_used`).
 */
function memoryFigures(committed: boolean): Record<string, number> {
  const m = process.memoryUsage();
  const figures: Record<string, number> = {
    rss: mb(m.rss),
    heapTotal: mb(m.heapTotal),
    heapUsed: mb(m.heapUsed),
    external: mb(m.external),
    arrayBuffers: mb(m.arrayBuffers),
  };
  for (const s of getHeapSpaceStatistics()) {
    if (committed) {
      figures[s.space_name] = mb(s.space_size);
      figures[`${s.space_name}_used`] = mb(s.space_used_size);
    } else figures[s.space_name] = mb(s.space_used_size);
  }
  return figures;
}

/** What the process's memory is made of, in MB (after a full GC when the process runs with --expose-gc). */
function memoryReport(): Record<string, number> {
  // GC entries arrive asynchronously: the counts are those before this report's own GC (an earlier
  // report's GC, and the idle trim's, do show in a later one).
  const g = { ...gcs };
  (globalThis as { gc?: () => void }).gc?.();
  return {
    ...memoryFigures(false),
    modules: Object.keys(require.cache).length,
    gcYoung: g.young,
    gcYoungMs: Math.round(g.youngMs),
    gcOld: g.old,
    gcOldMs: Math.round(g.oldMs),
  };
}

/** Starts the sampling heap profiler (BENCH_ALLOC_PROFILE); the returned function writes its profile. */
function allocationProfile(file: string): () => Promise<void> {
  const session = new Session();
  session.connect();
  const post = (method: string, params?: object) =>
    new Promise<unknown>((resolve, reject) =>
      session.post(method, params, (err, res) => (err ? reject(err) : resolve(res))),
    );
  void post('HeapProfiler.startSampling', {
    samplingInterval: 16_384,
    includeObjectsCollectedByMajorGC: true,
    includeObjectsCollectedByMinorGC: true,
  });
  return async () => {
    const { profile } = (await post('HeapProfiler.stopSampling')) as { profile: unknown };
    writeFileSync(file, JSON.stringify(profile));
  };
}

/** BENCH_HEAP_TRACE: committed sizes every 500 ms (sync append: a bench aid, off the measured path's CPU budget). */
function traceHeap(file: string): void {
  const t0 = Date.now();
  setInterval(() => {
    appendFileSync(file, `${JSON.stringify({ t: Date.now() - t0, ...memoryFigures(true) })}\n`);
  }, 500).unref();
}

async function main() {
  if (env.BENCH_HEAP_TRACE) traceHeap(env.BENCH_HEAP_TRACE);
  const writeProfile = env.BENCH_ALLOC_PROFILE ? allocationProfile(env.BENCH_ALLOC_PROFILE) : undefined;
  const kernel = await Kernel.start({
    inline: {
      // BENCH_IDLE_TRIM_MS: server.idleTrimIntervalMs (0: off) for the memory A/B (bench:memory).
      server: {
        host: '127.0.0.1',
        port,
        ...(env.BENCH_IDLE_TRIM_MS ? { idleTrimIntervalMs: Number(env.BENCH_IDLE_TRIM_MS) } : {}),
        // BENCH_HEAP_GROWTH: server.heapGrowthPercent (0: V8's own factor) for the memory A/B.
        ...(env.BENCH_HEAP_GROWTH ? { heapGrowthPercent: Number(env.BENCH_HEAP_GROWTH) } : {}),
      },
      database: { url: env.BENCH_DB_URL },
      redis: { url: env.BENCH_REDIS_URL, keyPrefix: env.BENCH_REDIS_PREFIX ?? 'aihub-bench:' },
      logging: { level: 'warn' },
      telemetry: {
        tracing: {
          endpoint: ablate.has('tracing') ? undefined : env.BENCH_OTLP,
          sampleRatio: ablate.has('sampled') ? 0 : ablate.has('keepall') ? 1 : 0.1,
        },
      },
      plugins,
    },
    env: {},
  });
  if (env.BENCH_MODULES) {
    const byPackage = new Map<string, number>();
    for (const file of Object.keys(require.cache)) {
      const m = /node_modules\/((?:@[^/]+\/)?[^/]+)/.exec(file.slice(file.lastIndexOf('node_modules/')));
      const key = m ? m[1] : file.replace(/^.*\/(core|plugins\/[^/]+|bench)\/.*$/, '$1');
      byPackage.set(key, (byPackage.get(key) ?? 0) + 1);
    }
    writeFileSync(
      env.BENCH_MODULES,
      `${[...byPackage]
        .sort((a, b) => b[1] - a[1])
        .map(([k, n]) => `${n} ${k}`)
        .join('\n')}\n`,
    );
  }
  let snapshots = 0;
  if (env.BENCH_MEMORY_REPORT === '1')
    process.on('SIGUSR2', () => {
      if (env.BENCH_HEAP_SNAPSHOT)
        writeHeapSnapshot(path.join(env.BENCH_HEAP_SNAPSHOT, `${process.pid}-${++snapshots}.heapsnapshot`));
      process.stdout.write(`memory ${JSON.stringify(memoryReport())}\n`);
    });
  process.stdout.write(`listening ${kernel.port}\n`);
  process.on(
    'SIGTERM',
    () => void (writeProfile?.() ?? Promise.resolve()).then(() => kernel.stop('bench')).then(() => process.exit(0)),
  );
}
main().catch((err) => {
  process.stderr.write(`${(err as Error).stack}\n`);
  process.exit(1);
});
