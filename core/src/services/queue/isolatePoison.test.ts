import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { InterruptibleSleep, type RetryTransientOptions } from '../database/transientErrors';
import { isDataError, writeIsolatingPoison } from './isolatePoison';

interface Item {
  tenant: string;
  id: number;
  bad?: boolean;
  deliveries?: number;
}

/** An error shaped like Sequelize's wrapper of a PostgreSQL error with this SQLSTATE. */
function pgError(code: string, message = 'refused'): Error {
  return Object.assign(new Error(message), { name: 'SequelizeDatabaseError', parent: { code } });
}

function retryOptions(counts = { retries: 0 }, stopping = () => false): RetryTransientOptions {
  return {
    initialMs: 1,
    maxMs: 2,
    sleeper: new InterruptibleSleep(),
    stopping,
    onRetry: () => counts.retries++,
    onGiveUp: () => {},
    onResumed: () => {},
  };
}

/** A write that refuses, as PostgreSQL does, any batch holding a bad item (22P05: NUL in jsonb). */
function database() {
  const calls: Item[][] = [];
  const stored = new Set<number>();
  const write = async (items: Item[]) => {
    calls.push(items);
    if (items.some((i) => i.bad)) throw pgError('22P05', 'unsupported Unicode escape sequence');
    for (const i of items) stored.add(i.id);
    return items.length;
  };
  return { calls, stored, write };
}

const options = (extra: Partial<Parameters<typeof writeIsolatingPoison<Item, number>>[2]> = {}) => ({
  tenantOf: (i: Item) => i.tenant,
  deliveriesOf: (i: Item) => i.deliveries ?? 0,
  retry: retryOptions(),
  ...extra,
});

describe('writeIsolatingPoison', () => {
  it('writes a clean batch in one call', async () => {
    const db = database();
    const items = Array.from({ length: 10 }, (_, id) => ({ tenant: id % 2 ? 'a' : 'b', id }));
    const r = await writeIsolatingPoison(items, db.write, options());
    assert.equal(db.calls.length, 1);
    assert.deepEqual(r, { results: [10], poisoned: [], splits: 0 });
  });

  it("writes another tenant's share in one call once the batch is refused, and bisects only the bad tenant's", async () => {
    const db = database();
    const items: Item[] = [];
    for (let id = 0; id < 64; id++) items.push({ tenant: id % 4 === 0 ? 'a' : 'b', id, bad: id === 12 || id === 40 });
    const r = await writeIsolatingPoison(items, db.write, options());
    assert.deepEqual(
      r.poisoned.map((p) => p.item.id).sort((x, y) => x - y),
      [12, 40],
    );
    assert.ok(r.poisoned.every((p) => isDataError(p.error)));
    assert.equal(db.stored.size, 62, 'everything else is written');
    // Call 1: the whole batch; call 2 or 3: tenant b's 48 items at once.
    assert.ok(db.calls.slice(0, 3).some((c) => c.length === 48 && c.every((i) => i.tenant === 'b')));
    // Tenant a's 16 items with 2 bad ones: about 2·log2(16) writes, far fewer than one per item.
    assert.ok(db.calls.length <= 3 + 2 * 2 * 4, `${db.calls.length} writes`);
  });

  it('retries transient failures (database down) and never splits or dead-letters for them', async () => {
    const counts = { retries: 0 };
    let failures = 3;
    const calls: number[] = [];
    const r = await writeIsolatingPoison(
      [
        { tenant: 'a', id: 1 },
        { tenant: 'b', id: 2 },
      ],
      async (items) => {
        calls.push(items.length);
        if (failures-- > 0)
          throw Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:5432'), {
            name: 'SequelizeConnectionRefusedError',
          });
        return items.length;
      },
      options({ retry: retryOptions(counts) }),
    );
    assert.equal(counts.retries, 3);
    assert.deepEqual(calls, [2, 2, 2, 2], 'the whole batch each time');
    assert.deepEqual(r.poisoned, []);
  });

  it('throws a transient failure that outlasts the retry (the consumer stops): the batch stays unacked', async () => {
    const down = Object.assign(new Error('Connection terminated unexpectedly'), { name: 'SequelizeConnectionError' });
    await assert.rejects(
      writeIsolatingPoison(
        [{ tenant: 'a', id: 1 }],
        () => Promise.reject(down),
        options({ retry: retryOptions(undefined, () => true) }),
      ),
      /Connection terminated/,
    );
  });

  it('throws, rather than dead-letter everything, when every item fails alike with an error that is not about data', async () => {
    const missingTable = pgError('42P01', 'relation "behavior_events" does not exist');
    const items = [
      { tenant: 'a', id: 1 },
      { tenant: 'b', id: 2 },
      { tenant: 'b', id: 3 },
    ];
    await assert.rejects(
      writeIsolatingPoison(items, () => Promise.reject(missingTable), options()),
      /does not exist/,
    );
    // …until the messages have come back maxDeliveries times: then they are set aside after all.
    const tired = items.map((i) => ({ ...i, deliveries: 4 }));
    const r = await writeIsolatingPoison(tired, () => Promise.reject(missingTable), options({ maxDeliveries: 5 }));
    assert.equal(r.poisoned.length, 3);
  });

  it('dead-letters an item failing with any error once other items of the batch were written', async () => {
    const r = await writeIsolatingPoison(
      [
        { tenant: 'a', id: 1 },
        { tenant: 'a', id: 2, bad: true },
      ],
      async (items) => {
        if (items.some((i) => i.bad)) throw new TypeError('Do not know how to serialize a BigInt');
        return items.length;
      },
      options(),
    );
    assert.deepEqual(
      r.poisoned.map((p) => p.item.id),
      [2],
    );
    assert.deepEqual(r.results, [1]);
  });

  it('classifies data errors of both databases', () => {
    for (const code of ['22021', '22P05', '22003', '22008', '23502', '54000', 'SQLITE_CONSTRAINT', 'SQLITE_TOOBIG'])
      assert.ok(isDataError({ parent: { code } }), code);
    for (const code of ['42P01', '08006', '57P01', 'ECONNREFUSED', 'SQLITE_BUSY', ''])
      assert.ok(!isDataError({ parent: { code } }), code);
    assert.ok(!isDataError(undefined));
  });
});
