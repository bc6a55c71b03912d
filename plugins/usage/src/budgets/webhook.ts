import { createHmac, randomUUID } from 'node:crypto';
import type { WebhookConfig } from '../config';
import type { Logger } from '../types';
import type { UsageMetrics } from '../metrics';
import type { Sql } from '@aihub/core/plugin-api';

/** The JSON body of a budget alert delivery. */
export interface BudgetAlertEvent {
  id: string;
  type: 'budget.alert';
  kind: 'soft' | 'hard';
  level: 'tenant' | 'team' | 'key';
  tenant_id: string;
  target_id: string;
  period: 'daily' | 'monthly';
  period_key: string;
  limit_micros: number;
  spent_micros: number;
  resets_at: string;
  created_at: string;
}

/** `t=<unix seconds>,v1=<hex HMAC-SHA-256(secret, "<t>.<body>")>` — the receiver recomputes and compares, and rejects old `t`. */
export function signBody(secret: string, body: string, unixSeconds: number): string {
  const mac = createHmac('sha256', secret).update(`${unixSeconds}.${body}`).digest('hex');
  return `t=${unixSeconds},v1=${mac}`;
}

/**
 * Delivers budget alerts to the configured URL: signed, retried with exponential backoff and jitter,
 * state kept in usage_budget_alerts so a restart resumes deliveries that were still pending.
 * Delivery is at-least-once: receivers de-duplicate by `id` (also in `x-aihub-delivery-id`).
 */
export class WebhookSender {
  private stopped = false;
  private readonly timers = new Set<NodeJS.Timeout>();
  private readonly inFlight = new Set<string>();

  constructor(
    private readonly config: WebhookConfig,
    private readonly sql: Sql,
    private readonly table: string,
    private readonly logger: Logger,
    private readonly metrics: UsageMetrics,
  ) {}

  get enabled(): boolean {
    return !!this.config.url;
  }

  /** Resends alerts a previous process left pending (created in the last two days). */
  async resume(): Promise<void> {
    if (!this.enabled) return;
    const since = new Date(Date.now() - 2 * 86_400_000).toISOString();
    const param = this.sql.dialect === 'postgres' ? '$1::timestamptz' : '$1';
    const rows = await this.sql.rows(
      `SELECT * FROM ${this.table} WHERE webhook_state = 'pending' AND created_at > ${param} ORDER BY created_at LIMIT 1000`,
      [since],
    );
    for (const r of rows) {
      this.send(
        {
          id: String(r.id),
          type: 'budget.alert',
          kind: r.kind as BudgetAlertEvent['kind'],
          level: r.level as BudgetAlertEvent['level'],
          tenant_id: String(r.tenant_id),
          target_id: String(r.target_id),
          period: r.period as BudgetAlertEvent['period'],
          period_key: String(r.period_key),
          limit_micros: Number(r.limit_micros),
          spent_micros: Number(r.spent_micros),
          resets_at: '',
          created_at: r.created_at instanceof Date ? r.created_at.toISOString() : String(r.created_at),
        },
        Number(r.attempts) || 0,
      );
    }
  }

  stop(): void {
    this.stopped = true;
    for (const t of this.timers) clearTimeout(t);
    this.timers.clear();
  }

  /** Starts delivering one alert in the background (never throws, never blocks the caller). */
  send(event: BudgetAlertEvent, attemptsSoFar = 0): void {
    if (!this.enabled || this.inFlight.has(event.id)) return;
    this.inFlight.add(event.id);
    void this.attempt(event, attemptsSoFar + 1);
  }

  private async attempt(event: BudgetAlertEvent, attempt: number): Promise<void> {
    if (this.stopped) return;
    const body = JSON.stringify(event);
    let error: string | undefined;
    try {
      const headers: Record<string, string> = {
        'content-type': 'application/json',
        'user-agent': 'aihub-usage-webhook/1',
        'x-aihub-event': event.type,
        'x-aihub-delivery-id': event.id,
        'x-aihub-delivery-attempt': String(attempt),
      };
      if (this.config.secret)
        headers['x-aihub-signature'] = signBody(this.config.secret, body, Math.floor(Date.now() / 1000));
      const res = await fetch(this.config.url!, {
        method: 'POST',
        headers,
        body,
        signal: AbortSignal.timeout(this.config.timeoutMs),
        redirect: 'manual',
      });
      await res.arrayBuffer().catch(() => undefined);
      if (res.ok) {
        this.metrics.webhook.inc({ outcome: 'delivered' });
        this.inFlight.delete(event.id);
        await this.mark(event.id, 'delivered', attempt, null);
        return;
      }
      error = `HTTP ${res.status}`;
    } catch (err) {
      error = (err as Error).message;
    }
    if (attempt >= this.config.maxAttempts) {
      this.metrics.webhook.inc({ outcome: 'failed' });
      this.inFlight.delete(event.id);
      this.logger.error('budget alert webhook failed; giving up', { alert_id: event.id, attempts: attempt, error });
      await this.mark(event.id, 'failed', attempt, error ?? null);
      return;
    }
    this.metrics.webhook.inc({ outcome: 'retry' });
    await this.mark(event.id, 'pending', attempt, error ?? null);
    const base = Math.min(this.config.maxBackoffMs, this.config.initialBackoffMs * 2 ** (attempt - 1));
    const delay = Math.round(base / 2 + Math.random() * (base / 2));
    const timer = setTimeout(() => {
      this.timers.delete(timer);
      void this.attempt(event, attempt + 1);
    }, delay);
    timer.unref();
    this.timers.add(timer);
  }

  private async mark(id: string, state: string, attempts: number, error: string | null): Promise<void> {
    try {
      await this.sql.rows(
        `UPDATE ${this.table} SET webhook_state = $2, attempts = $3, last_error = $4 WHERE id = $1 RETURNING id`,
        [id, state, attempts, error?.slice(0, 500) ?? null],
      );
    } catch (err) {
      this.logger.warn('could not record a webhook delivery state', { err, alert_id: id });
    }
  }
}

export const newAlertId = (): string => randomUUID();
