import type { Database, Logger } from '@aihub/core/plugin-api';

/** ai_responses keys rows by (tenant_id, id); a response made without a tenant is stored under ''. */
const NO_TENANT = '';
const SWEEP_EVERY_MS = 3_600_000;

/** One stored response: what GET returns, what the next turn continues from. */
export interface StoredResponse {
  id: string;
  tenantId: string | null;
  /** The API key (or subject) that created it: kept for audit, not used to restrict reads. */
  keyId: string | null;
  model: string;
  status: string;
  /** The Response object as it was answered. */
  response: Record<string, unknown>;
  /** The request's own input items (GET /v1/responses/:id/input_items). */
  inputItems: Record<string, unknown>[];
  /**
   * The conversation so far as chat messages (without the instructions, which a follow-up does not
   * inherit): every earlier turn, this request's input and this response's output.
   */
  conversation: Record<string, unknown>[];
  createdAt: number;
  expiresAt: number;
}

interface Row {
  id: string;
  key_id: string | null;
  model: string;
  status: string;
  response: string;
  input_items: string;
  conversation: string;
  created_at: number | string;
  expires_at: number | string;
}

/**
 * ai_responses: responses created with `store: true`, readable by every key of the tenant that
 * created them (as OpenAI scopes them to a project) and by no one else: every query names the
 * tenant. Rows past their `expires_at` are invisible at once and deleted by an hourly sweep.
 */
export class ResponseStore {
  private readonly sweeper: NodeJS.Timeout;

  constructor(
    private readonly db: Database,
    private readonly table: string,
    /** How long a stored response stays readable. */
    readonly retentionDays: number,
    private readonly logger: Logger,
  ) {
    this.sweeper = setInterval(() => void this.sweep(), SWEEP_EVERY_MS);
    this.sweeper.unref();
  }

  /** Inserts a response (its id is new: a conflict is a bug, and throws). */
  async save(r: StoredResponse): Promise<void> {
    await this.db.sequelize.query(
      `INSERT INTO ${this.table} (tenant_id, id, key_id, model, status, response, input_items, conversation, created_at, expires_at) VALUES ($1,$2,$3,$4,$5,$6,$7,$8,$9,$10)`,
      {
        bind: [
          r.tenantId ?? NO_TENANT,
          r.id,
          r.keyId,
          r.model,
          r.status,
          JSON.stringify(r.response),
          JSON.stringify(r.inputItems),
          JSON.stringify(r.conversation),
          r.createdAt,
          r.expiresAt,
        ],
      },
    );
  }

  /** The tenant's response with this id, unless it expired. */
  async get(tenantId: string | null, id: string, now = Date.now()): Promise<StoredResponse | undefined> {
    const [rows] = await this.db.sequelize.query(
      `SELECT id, key_id, model, status, response, input_items, conversation, created_at, expires_at FROM ${this.table} WHERE tenant_id = $1 AND id = $2 AND expires_at > $3`,
      { bind: [tenantId ?? NO_TENANT, id, now] },
    );
    const row = (rows as Row[])[0];
    if (!row) return undefined;
    return {
      id: row.id,
      tenantId,
      keyId: row.key_id,
      model: row.model,
      status: row.status,
      response: JSON.parse(row.response) as Record<string, unknown>,
      inputItems: JSON.parse(row.input_items) as Record<string, unknown>[],
      conversation: JSON.parse(row.conversation) as Record<string, unknown>[],
      createdAt: Number(row.created_at),
      expiresAt: Number(row.expires_at),
    };
  }

  /** Deletes the tenant's response; false when it has none with this id. */
  async delete(tenantId: string | null, id: string, now = Date.now()): Promise<boolean> {
    // Counting first keeps the answer the same on both dialects (their DELETE results differ).
    const found = await this.get(tenantId, id, now);
    if (!found) return false;
    await this.db.sequelize.query(`DELETE FROM ${this.table} WHERE tenant_id = $1 AND id = $2`, {
      bind: [tenantId ?? NO_TENANT, id],
    });
    return true;
  }

  /** Deletes expired rows (every instance may run it: the DELETE is idempotent). */
  async sweep(now = Date.now()): Promise<void> {
    try {
      await this.db.sequelize.query(`DELETE FROM ${this.table} WHERE expires_at <= $1`, { bind: [now] });
    } catch (err) {
      this.logger.warn('could not delete expired stored responses', { err });
    }
  }

  close(): void {
    clearInterval(this.sweeper);
  }
}
