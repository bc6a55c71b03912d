import cluster from 'node:cluster';
import { availableParallelism } from 'node:os';
import { InvalidArgumentError, type Command } from 'commander';
import type { CoreConfig } from '../config/coreSchema';
import { StartupError } from '../config/problems';
import { joinCluster } from '../cluster/worker';
import { runPrimary } from '../cluster/primary';
import { Kernel } from '../kernel/Kernel';
import { sharedServicesProblems, migrateOnce } from './startCluster';
import { prepare } from '../kernel/prepare';
import { createLogger } from '../services/createLogger';

interface StartOptions {
  config?: string;
  port?: number;
  workers?: number | 'auto';
}

const port = (v: string) => {
  const n = Number(v);
  if (!Number.isInteger(n) || n < 0 || n > 65535)
    throw new InvalidArgumentError('a port is an integer from 0 to 65535');
  return n;
};

const workersArg = (v: string): number | 'auto' => {
  if (v === 'auto') return 'auto';
  const n = Number(v);
  if (!Number.isInteger(n) || n < 1 || n > 256)
    throw new InvalidArgumentError('workers is "auto" (one per core) or a whole number from 1 to 256');
  return n;
};

/** `server.workers` or `--workers` as a count: `auto` is one per core this process may use. */
export function resolveWorkers(value: CoreConfig['server']['workers']): number {
  return value === 'auto' ? availableParallelism() : value;
}

/** `aihub start`: one process as before, or with more than one worker a cluster on the same port. */
export function registerStart(program: Command, fail: (err: unknown) => never): void {
  program
    .command('start')
    .description('start the gateway')
    .option('-c, --config <file>', 'config file (default: AIHUB_CONFIG or config/aihub.yaml)')
    .option('-p, --port <port>', 'port to listen on (overrides config and AIHUB_PORT)', port)
    .option(
      '-w, --workers <n>',
      'worker processes sharing the port, or "auto" for one per core (overrides server.workers)',
      workersArg,
    )
    .action(async (opts: StartOptions) => {
      // A worker re-runs this same command line: it serves, the primary does not.
      if (cluster.isWorker) return startProcess(opts, fail, true);
      let workers: number;
      let prepared;
      try {
        prepared = await prepare({ file: opts.config, port: opts.port });
        workers = resolveWorkers(opts.workers ?? prepared.config.server.workers);
        if (workers > 1) {
          const problems = sharedServicesProblems(prepared.config, workers);
          if (problems.length) throw new StartupError(problems);
        }
      } catch (err) {
        fail(err);
      }
      if (workers === 1) return startProcess(opts, fail, false);
      const cfg = prepared.config;
      const logger = createLogger({
        level: cfg.logging.level,
        format: cfg.logging.format,
        defaultMeta: { service: cfg.telemetry.serviceName, role: 'primary' },
      });
      try {
        // Once, before any worker exists: N workers migrating at the same time would race.
        await migrateOnce(prepared, logger);
      } catch (err) {
        fail(err);
      }
      const code = await runPrimary({ workers, logger });
      process.exit(code);
    });
}

/** One serving process: the whole gateway (as without a cluster), or one worker of the cluster. */
async function startProcess(opts: StartOptions, fail: (err: unknown) => never, worker: boolean): Promise<void> {
  let kernel: Kernel;
  try {
    kernel = await Kernel.start({ file: opts.config, port: opts.port });
  } catch (err) {
    fail(err);
  }
  let signals = 0;
  let draining = false;
  const shutdown = (signal: string, fromPrimary = false) => {
    // Ctrl-C reaches the primary and every worker of the terminal's process group: the primary's
    // request to drain that follows is the same shutdown, not a second signal.
    if (fromPrimary && draining) return;
    draining = true;
    signals++;
    if (signals > 1) {
      kernel.logger.warn(`second ${signal}: exiting now`);
      process.exit(1);
    }
    kernel.stop(signal).then(
      () => process.exit(0),
      (err) => {
        kernel.logger.error('shutdown failed', { err });
        process.exit(1);
      },
    );
  };
  // SIGHUP re-reads the config file (as `aihub config reload` does); the outcome is logged.
  process.on('SIGHUP', () => {
    kernel.reload().catch((err: unknown) => kernel.logger.error('config reload failed', { err }));
  });
  process.on('SIGTERM', () => shutdown('SIGTERM'));
  process.on('SIGINT', () => shutdown('SIGINT'));
  process.on('unhandledRejection', (err) => kernel.logger.error('unhandled promise rejection', { err }));
  process.on('uncaughtException', (err) => {
    kernel.logger.error('uncaught exception; shutting down', { err });
    process.exitCode = 1;
    void kernel.stop('uncaughtException').finally(() => process.exit(1));
  });
  if (worker) joinCluster(kernel.metrics, (signal) => shutdown(signal, true));
}
