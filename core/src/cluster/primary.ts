import cluster, { type Worker } from 'node:cluster';
import type { Logger } from '../services/createLogger';
import type { WorkerMetrics } from './aggregate';
import { guardHandoffs } from './handoffGuard';
import { isClusterMessage, WORKER_SLOT_ENV, type ClusterMessage } from './messages';

export interface PrimaryOptions {
  workers: number;
  logger: Logger;
  /** First delay before a crashed worker is replaced; doubles with each crash in the window. */
  restartDelayMs?: number;
  maxRestartDelayMs?: number;
  /** More crashes than this within `crashWindowMs` stop the cluster instead of replacing again. */
  maxCrashes?: number;
  crashWindowMs?: number;
  /** How long a metrics collection waits for each worker. */
  collectTimeoutMs?: number;
}

/** Exit code of the primary when a worker could not start: the worker's own (78 for config problems). */
const EXIT_CRASH_LOOP = 1;

/**
 * The cluster's primary: forks the workers (each re-runs `aihub start` and serves the shared port;
 * the primary serves no request), relays metrics scrapes, replaces crashed workers with backoff, and
 * on SIGTERM/SIGINT has every worker drain. Resolves with the process's exit code.
 *
 * The first worker starts alone and the others once it is ready, so work a first start does once
 * (the bootstrap superadmin, seeds) is done by one process, and a config or start problem stops the
 * cluster after one attempt, with the worker's exit code.
 */
export function runPrimary(options: PrimaryOptions): Promise<number> {
  const { workers: size, logger } = options;
  const restartDelayMs = options.restartDelayMs ?? 1_000;
  const maxRestartDelayMs = options.maxRestartDelayMs ?? 30_000;
  const maxCrashes = options.maxCrashes ?? 5;
  const crashWindowMs = options.crashWindowMs ?? 60_000;
  const collectTimeoutMs = options.collectTimeoutMs ?? 4_000;

  const slots = new Map<number, Worker>();
  const ready = new Set<Worker>();
  const crashes: number[] = [];
  const restartTimers = new Set<NodeJS.Timeout>();
  let restarts = 0;
  let stopping: string | undefined;
  let exitCode = 0;
  let collectId = 0;
  const collecting = new Map<number, { want: Set<Worker>; got: WorkerMetrics[]; done: () => void }>();

  return new Promise<number>((resolve) => {
    const finishIfEmpty = () => {
      if (stopping && slots.size === 0) {
        for (const t of restartTimers) clearTimeout(t);
        resolve(exitCode);
      }
    };

    const stop = (reason: string, processExitCode: number) => {
      if (stopping) return;
      stopping = reason;
      exitCode = processExitCode;
      for (const t of restartTimers) clearTimeout(t);
      restartTimers.clear();
      logger.info('stopping the cluster: every worker drains and exits', { reason, workers: slots.size });
      // A ready worker drains; one still starting has no listener for the message yet, and nothing
      // to drain: SIGTERM ends it (by default, or by its handler if it got that far).
      for (const w of slots.values()) {
        if (ready.has(w)) send(w, { aihub: 'shutdown', signal: reason });
        else w.process.kill('SIGTERM');
      }
      finishIfEmpty();
    };

    const send = (w: Worker, m: ClusterMessage) => {
      if (w.isConnected()) w.send(m, undefined, () => {});
    };

    /** Every ready worker's metrics plus the primary's own, for one scrape. */
    const collect = (): Promise<WorkerMetrics[]> => {
      const id = ++collectId;
      const want = new Set(ready);
      const got: WorkerMetrics[] = [
        primaryMetrics(
          slots.size,
          ready.size,
          restarts,
          [...slots].map(([slot, w]) => ({ slot, pid: w.process.pid ?? 0 })),
        ),
      ];
      return new Promise((done) => {
        const finish = () => {
          clearTimeout(timer);
          collecting.delete(id);
          done(got);
        };
        // A stuck worker must not hang every scrape: it is left out of this one.
        const timer = setTimeout(finish, collectTimeoutMs);
        collecting.set(id, { want, got, done: finish });
        if (!want.size) finish();
        for (const w of want) send(w, { aihub: 'collect', id });
      });
    };

    const fork = (slot: number): Worker => {
      const w = cluster.fork({ [WORKER_SLOT_ENV]: String(slot) });
      guardHandoffs(w);
      slots.set(slot, w);
      // A failed send to a worker (its channel closing as it dies, a handle closed in flight) is an
      // 'error' on the worker object; without a listener it would take the primary, and every worker, down.
      w.on('error', (err) => logger.warn('worker channel error', { worker: slot, pid: w.process.pid, err }));
      w.on('message', (m: unknown) => {
        if (!isClusterMessage(m)) return;
        if (m.aihub === 'ready') {
          ready.add(w);
          everReady.add(slot);
          if (stopping) return send(w, { aihub: 'shutdown', signal: stopping });
          logger.info('worker ready', { worker: slot, pid: w.process.pid });
          if (slot === 1 && ready.size === 1 && !started) {
            started = true;
            for (let s = 2; s <= size; s++) fork(s);
          }
        } else if (m.aihub === 'metrics?') {
          void collect().then((all) => send(w, { aihub: 'metrics', id: m.id, workers: all }));
        } else if (m.aihub === 'collected') {
          const c = collecting.get(m.id);
          if (!c || !c.want.has(w)) return;
          c.want.delete(w);
          c.got.push({ worker: String(slot), metrics: m.metrics });
          if (!c.want.size) c.done();
        }
      });
      w.on('exit', (code, signal) => {
        const wasReady = ready.delete(w);
        if (slots.get(slot) === w) slots.delete(slot);
        for (const c of collecting.values()) if (c.want.delete(w) && !c.want.size) c.done();
        if (stopping) {
          // A worker still starting is ended by SIGTERM (nothing to drain): not a failed shutdown.
          if (code !== 0 && wasReady) exitCode = exitCode || 1;
          logger.info('worker exited', { worker: slot, pid: w.process.pid, code, signal });
          return finishIfEmpty();
        }
        if (!wasReady && !everReady.has(slot)) {
          // Never started: the same config will fail the same way in every worker.
          logger.error('worker failed to start; stopping the cluster', { worker: slot, code, signal });
          return stop('a worker failed to start', code && code > 0 ? code : 1);
        }
        const now = Date.now();
        crashes.push(now);
        while (crashes.length && crashes[0] < now - crashWindowMs) crashes.shift();
        if (crashes.length > maxCrashes) {
          logger.error(
            `workers crashed ${crashes.length} times within ${Math.round(crashWindowMs / 1000)} s; stopping the cluster instead of restarting again (see the errors above)`,
            { worker: slot, code, signal },
          );
          return stop('crash loop', EXIT_CRASH_LOOP);
        }
        const delay = Math.min(maxRestartDelayMs, restartDelayMs * 2 ** (crashes.length - 1));
        logger.warn('worker exited unexpectedly; replacing it', {
          worker: slot,
          pid: w.process.pid,
          code,
          signal,
          restart_in_ms: delay,
        });
        const timer = setTimeout(() => {
          restartTimers.delete(timer);
          if (stopping) return;
          restarts++;
          fork(slot);
        }, delay);
        restartTimers.add(timer);
      });
      return w;
    };

    let started = size === 1;
    const everReady = new Set<number>();
    let signals = 0;
    const onSignal = (signal: NodeJS.Signals) => {
      signals++;
      if (signals > 1) {
        logger.warn(`second ${signal}: workers exit now`);
        for (const w of slots.values()) w.process.kill('SIGKILL');
        exitCode = 1;
        return;
      }
      stop(signal, 0);
    };
    process.on('SIGTERM', onSignal);
    process.on('SIGINT', onSignal);
    // Config reload applies in every worker, as it would in one process.
    process.on('SIGHUP', () => {
      for (const w of slots.values()) w.process.kill('SIGHUP');
    });
    logger.info(`starting ${size} workers`, { workers: size, pid: process.pid });
    fork(1);
  });
}

/** The primary's own series: how many workers, which pids, how many replacements. */
function primaryMetrics(
  workers: number,
  readyWorkers: number,
  restarts: number,
  pids: { slot: number; pid: number }[],
): WorkerMetrics {
  return {
    worker: 'primary',
    metrics: [
      {
        name: 'aihub_cluster_workers',
        help: 'Worker processes of the cluster, and how many of them are ready',
        type: 'gauge',
        aggregator: 'sum',
        values: [
          { value: workers, labels: { state: 'running' } },
          { value: readyWorkers, labels: { state: 'ready' } },
        ],
      },
      {
        name: 'aihub_cluster_worker_info',
        help: 'One series per worker: its slot and process id',
        type: 'gauge',
        aggregator: 'sum',
        values: pids.map(({ slot, pid }) => ({ value: 1, labels: { worker: String(slot), pid: String(pid) } })),
      },
      {
        name: 'aihub_cluster_worker_restarts_total',
        help: 'Workers replaced after they exited unexpectedly',
        type: 'counter',
        aggregator: 'sum',
        values: [{ value: restarts, labels: {} }],
      },
    ],
  };
}
