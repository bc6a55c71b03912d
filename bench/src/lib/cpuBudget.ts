/**
 * CPU budgets for benchmarked processes: cgroup v1 CPU groups (`/sys/fs/cgroup/cpu/<name>`), each
 * with a CFS quota (a fixed share of a core) and a weight. On a small machine shared with the load
 * generator and other jobs this is what makes "N workers, each with a core of its own" measurable:
 * each worker gets the same fixed budget whatever else runs, so N workers should do N times the work.
 */
import { existsSync, mkdirSync, readFileSync, rmdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';

const ROOT = '/sys/fs/cgroup/cpu';

/** One group's throttling counters (cgroup v1 `cpu.stat`). */
export interface CpuStat {
  /** CFS periods in which the group had runnable tasks. */
  periods: number;
  /** Of those, periods in which it used its whole quota and was held until the next one. */
  throttled: number;
}

export interface CpuGroup {
  readonly name: string;
  /** The quota, in cores (0.4 = 40 ms of CPU per 100 ms). */
  readonly cores: number;
  /** Moves a process (all its threads, and the children it forks from now on) into the group. */
  add(pid: number): void;
  stat(): CpuStat;
}

export interface CpuBudgets {
  /**
   * A group capped at `cores` of CPU. `shares` is its weight against everything else on the machine
   * (1024 = one ordinary process): a quota is only a ceiling, and on a busy machine a group with the
   * default weight may not get even that, so the benchmarked processes are weighted up; the quotas
   * bound what they can take from other work.
   */
  group(name: string, cores: number, shares?: number): CpuGroup;
  /** Moves every process still in a group back to the root and removes the groups. Idempotent. */
  removeAll(): void;
}

/** CFS period: short, so a capped worker is held for at most ~6 ms at a time, not 60 ms of each 100. */
const PERIOD_US = 10_000;

/**
 * CPU budgets under `/sys/fs/cgroup/cpu/<prefix>-*`, or undefined when cgroup v1's CPU controller is
 * not there or not writable (no root, cgroup v2 only, a read-only container mount).
 */
export function cpuBudgets(prefix: string): CpuBudgets | undefined {
  const probe = path.join(ROOT, `${prefix}-probe`);
  try {
    if (!existsSync(path.join(ROOT, 'cgroup.procs'))) return undefined;
    mkdirSync(probe);
    writeFileSync(path.join(probe, 'cpu.cfs_period_us'), String(PERIOD_US));
    rmdirSync(probe);
  } catch {
    try {
      rmdirSync(probe);
    } catch {
      // not created
    }
    return undefined;
  }
  const groups: string[] = [];
  return {
    group(name, cores, shares = 1024) {
      const dir = path.join(ROOT, `${prefix}-${name}`);
      mkdirSync(dir);
      groups.push(dir);
      writeFileSync(path.join(dir, 'cpu.cfs_period_us'), String(PERIOD_US));
      writeFileSync(path.join(dir, 'cpu.cfs_quota_us'), String(Math.round(cores * PERIOD_US)));
      writeFileSync(path.join(dir, 'cpu.shares'), String(shares));
      return {
        name,
        cores,
        add: (pid) => writeFileSync(path.join(dir, 'cgroup.procs'), String(pid)),
        stat: () => {
          const text = readFileSync(path.join(dir, 'cpu.stat'), 'utf8');
          const field = (k: string) => Number(new RegExp(`^${k} (\\d+)`, 'm').exec(text)?.[1] ?? NaN);
          return { periods: field('nr_periods'), throttled: field('nr_throttled') };
        },
      };
    },
    removeAll() {
      for (const dir of groups.splice(0)) {
        try {
          // A group with processes in it cannot be removed: they go back to the root first.
          for (const pid of readFileSync(path.join(dir, 'cgroup.procs'), 'utf8').split('\n').filter(Boolean)) {
            try {
              writeFileSync(path.join(ROOT, 'cgroup.procs'), pid);
            } catch {
              // exited meanwhile
            }
          }
          rmdirSync(dir);
        } catch (err) {
          process.stderr.write(`could not remove ${dir}: ${(err as Error).message}\n`);
        }
      }
    },
  };
}
