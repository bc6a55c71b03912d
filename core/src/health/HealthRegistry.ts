import type { HealthCheck } from '../kernel/types';

/** One health check's outcome, as `/health/*` reports it and the health plugin renders it. */
export interface CheckResult {
  name: string;
  plugin: string;
  kind: 'readiness' | 'liveness';
  ok: boolean;
  latencyMs: number;
  details?: Record<string, unknown>;
  error?: string;
  /** Last time this check failed, and why (kept across runs for /health/details). */
  lastError?: { at: string; message: string };
}

/**
 * Collects health checks from core and every plugin. Checks run concurrently with a timeout each, so
 * one hung dependency reports as failed instead of hanging the probe.
 */
export class HealthRegistry {
  private readonly checks: { plugin: string; check: HealthCheck }[] = [];
  private readonly lastErrors = new Map<string, { at: string; message: string }>();
  private drainingSince?: Date;

  /** Called by the kernel when shutdown begins: readiness then fails so load balancers move away. */
  setDraining(): void {
    this.drainingSince ??= new Date();
  }

  get draining(): boolean {
    return this.drainingSince !== undefined;
  }

  register(plugin: string, check: HealthCheck): void {
    this.checks.push({ plugin, check });
  }

  list(): { plugin: string; name: string; kind: 'readiness' | 'liveness' }[] {
    return this.checks.map(({ plugin, check }) => ({ plugin, name: check.name, kind: check.kind ?? 'readiness' }));
  }

  async run(kind?: 'readiness' | 'liveness'): Promise<{ ok: boolean; checks: CheckResult[] }> {
    const selected = this.checks.filter(({ check }) => !kind || (check.kind ?? 'readiness') === kind);
    const checks = await Promise.all(selected.map(({ plugin, check }) => this.runOne(plugin, check)));
    return { ok: checks.every((c) => c.ok), checks };
  }

  private async runOne(plugin: string, check: HealthCheck): Promise<CheckResult> {
    const started = performance.now();
    const key = `${plugin}:${check.name}`;
    const kind = check.kind ?? 'readiness';
    let timer: NodeJS.Timeout | undefined;
    try {
      const timeout = new Promise<never>((_, reject) => {
        timer = setTimeout(
          () => reject(new Error(`timed out after ${check.timeoutMs ?? 2000} ms`)),
          check.timeoutMs ?? 2000,
        );
      });
      const details = await Promise.race([check.check(), timeout]);
      return {
        name: check.name,
        plugin,
        kind,
        ok: true,
        latencyMs: round(performance.now() - started),
        details: details ?? undefined,
        lastError: this.lastErrors.get(key),
      };
    } catch (err) {
      const message = (err as Error)?.message ?? String(err);
      const lastError = { at: new Date().toISOString(), message };
      this.lastErrors.set(key, lastError);
      return {
        name: check.name,
        plugin,
        kind,
        ok: false,
        latencyMs: round(performance.now() - started),
        error: message,
        lastError,
      };
    } finally {
      clearTimeout(timer);
    }
  }
}

const round = (ms: number) => Math.round(ms * 100) / 100;
