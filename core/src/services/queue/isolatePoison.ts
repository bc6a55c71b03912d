import { isTransientDbError, retryTransientDb, type RetryTransientOptions } from '../database/transientErrors';

/** An item the database refused on its own, with the error it got when written alone. */
export interface PoisonedItem<T> {
  item: T;
  error: unknown;
}

/** What {@link writeIsolatingPoison} did with a batch. */
export interface IsolatedWrite<T, R> {
  /** One result per successful `write` call (the whole batch, a tenant's share, or a half of one). */
  results: R[];
  /** Items refused on their own: the caller dead-letters them and acks the batch. */
  poisoned: PoisonedItem<T>[];
  /** How many `write` calls failed permanently before the poison was isolated (0 when the batch went through). */
  splits: number;
}

export interface IsolatePoisonOptions<T> {
  /** Tenant of an item: a refused batch is first split by tenant, so one tenant's bad item never holds back another's. */
  tenantOf: (item: T) => string | null | undefined;
  /** Earlier deliveries of the item's message (QueueMessage.deliveries). */
  deliveriesOf?: (item: T) => number;
  /**
   * When every item of a batch fails alike with an error that is not about data (a missing table,
   * a read-only database during a failover, a bug), the batch is thrown back for redelivery rather
   * than dead-lettered. With this set, such items are dead-lettered anyway once their message has
   * been delivered this often. Off by default: a long systemic failure would otherwise turn the
   * whole backlog into dead letters, while a message that fails alone is dead-lettered as soon as
   * it shares a batch with messages that are written (redeliveries are mixed with fresh messages).
   */
  maxDeliveries?: number;
  /** Transient failures of each write are retried with these settings and never split or dead-lettered. */
  retry: RetryTransientOptions;
}

/**
 * PostgreSQL SQLSTATE classes 22 (data exception: NUL in text, bad Unicode escape, numeric out of
 * range, value too long), 23 (integrity constraint) and 54000 (e.g. an index row too large), and
 * SQLite's equivalents: errors a particular value causes, so splitting a batch finds it.
 */
export function isDataError(err: unknown): boolean {
  if (!err || typeof err !== 'object') return false;
  const e = err as { parent?: { code?: unknown }; original?: { code?: unknown }; code?: unknown };
  const code = String(e.parent?.code ?? e.original?.code ?? e.code ?? '');
  if (/^(22|23)[0-9A-Z]{3}$/.test(code) || code === '54000') return true;
  return ['SQLITE_CONSTRAINT', 'SQLITE_MISMATCH', 'SQLITE_TOOBIG', 'SQLITE_RANGE'].includes(code);
}

function byTenant<T>(items: T[], tenantOf: (item: T) => string | null | undefined): T[][] {
  const groups = new Map<string, T[]>();
  for (const item of items) {
    const key = tenantOf(item) ?? '';
    let group = groups.get(key);
    if (!group) groups.set(key, (group = []));
    group.push(item);
  }
  return [...groups.values()];
}

/**
 * Writes a queue consumer's batch so that one message the database refuses cannot block the others
 * (the "poison message"). Both queue consumers (usage records, behavior events) use it.
 *
 * 1. `write(items)`; transient failures ({@link isTransientDbError}: database down, pool exhausted,
 *    deadlock) are retried with backoff by `retryTransientDb` and are never split or dead-lettered.
 *    A transient failure that outlasts the retry (the consumer stops) is thrown: the batch stays
 *    unacked and is redelivered.
 * 2. On a permanent failure the batch is split by tenant and each tenant's share written on its own,
 *    before any bisection, so other tenants' items land right after the first refusal.
 * 3. A share that still fails is bisected (halves, recursively) until each refused item stands alone:
 *    O(k·log n) extra writes for k bad items among n.
 * 4. A lone refused item is returned in `poisoned` when its error is a data error
 *    ({@link isDataError}), when other items of the batch were written (so the failure is the
 *    item's own), or, if `maxDeliveries` is set, when its message has been delivered that often.
 *    Otherwise the error looks systemic (every item fails alike) and is thrown, so nothing is
 *    dead-lettered by a bug or a missing table; the batch comes back after the queue's claim timeout.
 *
 * `write` must be idempotent and atomic per call (one transaction, ON CONFLICT DO NOTHING), since
 * parts of the batch may be written more than once.
 */
export async function writeIsolatingPoison<T, R>(
  items: T[],
  write: (items: T[]) => Promise<R>,
  options: IsolatePoisonOptions<T>,
): Promise<IsolatedWrite<T, R>> {
  const results: R[] = [];
  const refused: PoisonedItem<T>[] = [];
  let written = 0;
  let splits = 0;

  /** undefined when written; the permanent error otherwise (transient ones are thrown). */
  const attempt = async (group: T[]): Promise<unknown> => {
    try {
      results.push(await retryTransientDb(() => write(group), options.retry));
      written += group.length;
      return undefined;
    } catch (err) {
      if (isTransientDbError(err)) throw err;
      splits++;
      return err ?? new Error('write failed');
    }
  };

  const bisect = async (group: T[], error: unknown): Promise<void> => {
    if (group.length === 1) {
      refused.push({ item: group[0], error });
      return;
    }
    const middle = Math.ceil(group.length / 2);
    for (const half of [group.slice(0, middle), group.slice(middle)]) {
      const err = await attempt(half);
      if (err !== undefined) await bisect(half, err);
    }
  };

  if (items.length === 0) return { results, poisoned: [], splits };
  const first = await attempt(items);
  if (first === undefined) return { results, poisoned: [], splits };
  const tenants = byTenant(items, options.tenantOf);
  if (tenants.length === 1) await bisect(items, first);
  else {
    // Every tenant's share first, then the bisection of the refused ones: the others land at once.
    const refusedShares: [T[], unknown][] = [];
    for (const share of tenants) {
      const err = await attempt(share);
      if (err !== undefined) refusedShares.push([share, err]);
    }
    for (const [share, err] of refusedShares) await bisect(share, err);
  }

  const maxDeliveries = options.maxDeliveries ?? Number.POSITIVE_INFINITY;
  for (const r of refused) {
    const ownFault = isDataError(r.error) || written > 0 || (options.deliveriesOf?.(r.item) ?? 0) + 1 >= maxDeliveries;
    if (!ownFault) throw r.error;
  }
  return { results, poisoned: refused, splits };
}
