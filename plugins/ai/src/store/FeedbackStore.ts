import { randomUUID } from 'node:crypto';
import type { Database } from '@aihub/core/plugin-api';
import { NO_TENANT, type RequestLog } from './RequestLog';

export interface RequestOwner {
  tenantId: string | null;
  experiment: string | null;
  variant: string | null;
}

export interface FeedbackRow {
  id: string;
  request_id: string;
  tenant_id: string | null;
  experiment: string | null;
  variant: string | null;
  score: number;
  comment: string | null;
  created_at: number;
}

export interface VariantSummary {
  experiment: string;
  variant: string;
  requests: number;
  errors: number;
  latencyMsSum: number;
  promptTokens: number;
  completionTokens: number;
  costMicros: number;
  feedbackCount: number;
  feedbackScoreSum: number;
}

const num = (v: unknown): number => (v === null || v === undefined ? 0 : Number(v));

/** ai_feedback: `tenant_id = $n`, or IS NULL for feedback given without a tenant (no tenancy plugin). */
function tenantClause(tenantId: string | null, bind: unknown[]): string {
  if (tenantId === null) return 'tenant_id IS NULL';
  bind.push(tenantId);
  return `tenant_id = $${bind.length}`;
}

/** ai_requests: keyed by (tenant_id, request_id), with '' for requests made without a tenant. */
function requestTenantClause(tenantId: string | null, bind: unknown[]): string {
  bind.push(tenantId ?? NO_TENANT);
  return `tenant_id = $${bind.length}`;
}

/** Feedback rows and the request lookups behind them; every query is scoped by tenant. */
export class FeedbackStore {
  constructor(
    private readonly db: Database,
    private readonly tables: { requests: string; feedback: string },
    private readonly log: RequestLog | undefined,
  ) {}

  /**
   * The tenant's request with this id (else undefined: the caller answers 404). Request ids are
   * looked up within the tenant only: another tenant's request with the same id is another request.
   */
  async findRequest(requestId: string, tenantId: string | null): Promise<RequestOwner | undefined> {
    const pending = this.log?.pending(requestId, tenantId);
    if (pending) return { tenantId, experiment: pending.experiment, variant: pending.variant };
    const bind: unknown[] = [requestId];
    const [rows] = await this.db.sequelize.query(
      `SELECT experiment, variant FROM ${this.tables.requests} WHERE request_id = $1 AND ${requestTenantClause(tenantId, bind)}`,
      { bind },
    );
    const r = (rows as { experiment: string | null; variant: string | null }[])[0];
    return r ? { tenantId, experiment: r.experiment, variant: r.variant } : undefined;
  }

  async add(
    requestId: string,
    owner: RequestOwner,
    score: number,
    comment: string | null,
    now: number,
  ): Promise<FeedbackRow> {
    const row: FeedbackRow = {
      id: `fb_${randomUUID().replace(/-/g, '')}`,
      request_id: requestId,
      tenant_id: owner.tenantId,
      experiment: owner.experiment,
      variant: owner.variant,
      score,
      comment,
      created_at: now,
    };
    await this.db.sequelize.query(
      `INSERT INTO ${this.tables.feedback} (id, request_id, tenant_id, experiment, variant, score, comment, created_at) VALUES ($1,$2,$3,$4,$5,$6,$7,$8)`,
      {
        bind: [
          row.id,
          row.request_id,
          row.tenant_id,
          row.experiment,
          row.variant,
          row.score,
          row.comment,
          row.created_at,
        ],
      },
    );
    return row;
  }

  /** Per experiment and variant: requests, errors, latency, tokens, cost and feedback of one tenant since a time. */
  async summary(tenantId: string | null, since: number): Promise<VariantSummary[]> {
    const bindR: unknown[] = [since];
    const [reqRows] = await this.db.sequelize.query(
      `SELECT experiment, variant, COUNT(*) AS requests, SUM(CASE WHEN status = 'error' THEN 1 ELSE 0 END) AS errors, SUM(latency_ms) AS latency, SUM(prompt_tokens) AS prompt, SUM(completion_tokens) AS completion, SUM(cost_micros) AS cost
       FROM ${this.tables.requests} WHERE created_at >= $1 AND experiment IS NOT NULL AND ${requestTenantClause(tenantId, bindR)} GROUP BY experiment, variant`,
      { bind: bindR },
    );
    const bindF: unknown[] = [since];
    const [fbRows] = await this.db.sequelize.query(
      `SELECT experiment, variant, COUNT(*) AS n, SUM(score) AS score FROM ${this.tables.feedback} WHERE created_at >= $1 AND experiment IS NOT NULL AND ${tenantClause(tenantId, bindF)} GROUP BY experiment, variant`,
      { bind: bindF },
    );
    const out = new Map<string, VariantSummary>();
    const get = (experiment: string, variant: string) => {
      const k = `${experiment}\u0000${variant}`;
      let s = out.get(k);
      if (!s) {
        s = {
          experiment,
          variant,
          requests: 0,
          errors: 0,
          latencyMsSum: 0,
          promptTokens: 0,
          completionTokens: 0,
          costMicros: 0,
          feedbackCount: 0,
          feedbackScoreSum: 0,
        };
        out.set(k, s);
      }
      return s;
    };
    for (const r of reqRows as Record<string, unknown>[]) {
      const s = get(String(r.experiment), String(r.variant));
      s.requests = num(r.requests);
      s.errors = num(r.errors);
      s.latencyMsSum = num(r.latency);
      s.promptTokens = num(r.prompt);
      s.completionTokens = num(r.completion);
      s.costMicros = num(r.cost);
    }
    for (const r of fbRows as Record<string, unknown>[]) {
      const s = get(String(r.experiment), String(r.variant));
      s.feedbackCount = num(r.n);
      s.feedbackScoreSum = num(r.score);
    }
    return [...out.values()];
  }
}
