import type { Database } from '@aihub/core/plugin-api';
import type { Transaction } from 'sequelize';
import { emptyControl } from './controlState';
import { emptyOverlay, type Overlay } from './overlay';

export interface RevisionRow {
  revision: number;
  author: string | null;
  action: string;
  target: string | null;
  /** Why (control changes carry the rule's or operator's reason); null for most admin edits. */
  reason: string | null;
  createdAt: number;
}

/** Another writer took the revision this change expected to follow. */
export class RevisionConflict extends Error {
  constructor(readonly current: number) {
    super(`the catalog changed meanwhile (now at revision ${current})`);
  }
}

/**
 * ai_catalog_revisions: one row per change of the catalog overlay, each holding the whole overlay as
 * it was after the change (small: tens of entries), so a diff is two reads and a rollback is a copy.
 * The revision number is the primary key: two instances writing on the same revision collide on
 * insert, which is the optimistic lock.
 */
export class CatalogStore {
  /**
   * @param keep how many revisions to keep (`catalog.keepRevisions`): each append prunes the older
   * ones, so drains and probe restores (each a full copy) cannot grow the table without bound.
   */
  constructor(
    private readonly db: Database,
    private readonly table: string,
    private readonly keep = 1000,
  ) {}

  /** The newest revision number (0: never changed through the API). */
  async currentRevision(): Promise<number> {
    const [rows] = await this.db.sequelize.query(`SELECT MAX(revision) AS n FROM ${this.table}`);
    return Number((rows as { n: unknown }[])[0]?.n ?? 0);
  }

  /** The overlay as of `revision` (default: the newest). */
  async overlayAt(revision?: number): Promise<{ revision: number; overlay: Overlay } | undefined> {
    const sql =
      revision === undefined
        ? `SELECT revision, overlay FROM ${this.table} ORDER BY revision DESC LIMIT 1`
        : `SELECT revision, overlay FROM ${this.table} WHERE revision = $1`;
    const [rows] = await this.db.sequelize.query(sql, { bind: revision === undefined ? [] : [revision] });
    const row = (rows as { revision: unknown; overlay: string }[])[0];
    if (!row) return revision === undefined || revision === 0 ? { revision: 0, overlay: emptyOverlay() } : undefined;
    const stored = JSON.parse(row.overlay) as Partial<Overlay>;
    // Revisions stored before control was part of the catalog have none: no drains, no overrides.
    return {
      revision: Number(row.revision),
      overlay: { ...emptyOverlay(), ...stored, control: { ...emptyControl(), ...stored.control } },
    };
  }

  /** Revisions newest first. */
  async list(limit: number, before?: number): Promise<RevisionRow[]> {
    const bind: unknown[] = [limit];
    const where = before !== undefined ? `WHERE revision < $${bind.push(before)}` : '';
    const [rows] = await this.db.sequelize.query(
      `SELECT revision, author, action, target, reason, created_at FROM ${this.table} ${where} ORDER BY revision DESC LIMIT $1`,
      { bind },
    );
    return (rows as Record<string, unknown>[]).map((r) => ({
      revision: Number(r.revision),
      author: (r.author as string | null) ?? null,
      action: String(r.action),
      target: (r.target as string | null) ?? null,
      reason: (r.reason as string | null) ?? null,
      createdAt: Number(r.created_at),
    }));
  }

  /**
   * Stores the overlay as revision `expected + 1`; RevisionConflict when another change got there first.
   * In the same transaction, revisions `keep` or more behind the new one go (one DELETE on the primary
   * key; the new revision, the current one, always stays). A concurrent writer's prune of the same
   * bound is harmless: both delete below their own new revision, which only the winner stores.
   */
  async append(
    expected: number,
    change: { author: string | null; action: string; target: string | null; reason?: string | null; overlay: Overlay },
  ): Promise<number> {
    const revision = expected + 1;
    try {
      await this.db.transaction(async (transaction) => {
        await this.insert(revision, change, transaction);
        await this.db.sequelize.query(`DELETE FROM ${this.table} WHERE revision <= $1`, {
          bind: [revision - this.keep],
          transaction,
        });
      });
    } catch (err) {
      if ((err as Error).name === 'SequelizeUniqueConstraintError')
        throw new RevisionConflict(await this.currentRevision());
      throw err;
    }
    return revision;
  }

  private async insert(
    revision: number,
    change: { author: string | null; action: string; target: string | null; reason?: string | null; overlay: Overlay },
    transaction: Transaction,
  ): Promise<void> {
    await this.db.sequelize.query(
      `INSERT INTO ${this.table} (revision, author, action, target, reason, overlay, created_at) VALUES ($1, $2, $3, $4, $5, $6, $7)`,
      {
        bind: [
          revision,
          change.author?.slice(0, 256) ?? null,
          change.action,
          change.target?.slice(0, 512) ?? null,
          change.reason?.slice(0, 1000) ?? null,
          JSON.stringify(change.overlay),
          Date.now(),
        ],
        transaction,
      },
    );
  }
}
