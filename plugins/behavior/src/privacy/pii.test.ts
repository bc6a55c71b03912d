import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { describe, it } from 'node:test';
import type { StoredEvent } from '../ingest/events';
import { applyPolicy, compilePolicy, hashValue } from './pii';

const key = randomBytes(32);
const HEX = /^[0-9a-f]{64}$/;

function event(extra: Partial<StoredEvent> = {}): Omit<StoredEvent, 'tenantId'> {
  return {
    messageId: 'm',
    type: 'track',
    event: 'E',
    userId: 'user-1',
    anonymousId: 'anon-1',
    groupId: null,
    previousId: null,
    timestamp: new Date().toISOString(),
    receivedAt: new Date().toISOString(),
    properties: null,
    traits: null,
    context: null,
    ...extra,
  };
}

const apply = (policy: Parameters<typeof compilePolicy>[0], e: Omit<StoredEvent, 'tenantId'>) =>
  applyPolicy(e, compilePolicy(policy)!, key);

describe('behavior PII policy', () => {
  it('matches names inside arrays, at any depth', () => {
    const out = apply(
      { hashFields: ['email'], dropFields: ['ssn'] },
      event({
        properties: { list: [{ email: 'a@x.io', ssn: '1' }, { deep: [[{ email: 'b@x.io' }]] }], plain: ['a@x.io'] },
      }),
    );
    const list = out.properties!.list as Record<string, unknown>[];
    assert.match(String(list[0].email), HEX);
    assert.equal('ssn' in list[0], false);
    assert.match(String(((list[1].deep as unknown[][])[0][0] as Record<string, unknown>).email), HEX);
    assert.deepEqual(out.properties!.plain, ['a@x.io'], 'unnamed array items are values, not fields');
  });

  it('matches names and paths whatever their casing', () => {
    const out = apply(
      { hashFields: ['email', 'Address.Street'], dropFields: ['SSN'] },
      event({
        properties: {
          Email: 'a@x.io',
          EMAIL: 'b@x.io',
          eMail: 'c@x.io',
          ssn: '1',
          Ssn: '2',
          address: { STREET: '1 Main', city: 'P' },
        },
      }),
    );
    const p = out.properties!;
    for (const k of ['Email', 'EMAIL', 'eMail']) assert.match(String(p[k]), HEX, k);
    assert.equal('ssn' in p || 'Ssn' in p, false);
    assert.match(String((p.address as Record<string, unknown>).STREET), HEX);
    assert.equal((p.address as Record<string, unknown>).city, 'P');
  });

  it('follows dotted paths across arrays and hashes a matched object whole', () => {
    const out = apply(
      { hashFields: ['list.email', 'card'], dropFields: ['orders.items.note'] },
      event({
        properties: {
          list: [{ email: 'a@x.io', name: 'n' }],
          email: 'top',
          card: { number: '4111', exp: '12/30' },
          orders: [{ items: [{ note: 'secret', sku: 's' }] }],
        },
      }),
    );
    const p = out.properties!;
    assert.match(String((p.list as Record<string, unknown>[])[0].email), HEX);
    assert.equal((p.list as Record<string, unknown>[])[0].name, 'n');
    assert.equal(p.email, 'top', 'a path only matches where it leads');
    assert.match(String(p.card), HEX);
    assert.deepEqual(p.orders, [{ items: [{ sku: 's' }] }]);
  });

  it('hashes every identity field the policy names, and previousId with userId or anonymousId', () => {
    const alias = event({ type: 'alias', userId: 'new-id', anonymousId: null, previousId: 'old-id', groupId: 'g-1' });
    const out = apply({ hashFields: ['userid'] }, alias);
    assert.equal(out.userId, hashValue(key, 'new-id'), 'names are case-insensitive for identity fields too');
    assert.equal(out.previousId, hashValue(key, 'old-id'), 'previousId joins the hashed ids');
    assert.equal(out.groupId, 'g-1');
    const anon = apply({ hashFields: ['anonymousId'] }, alias);
    assert.equal(anon.previousId, hashValue(key, 'old-id'));
    assert.equal(anon.userId, 'new-id');
    const group = apply({ hashFields: ['groupId'] }, alias);
    assert.equal(group.groupId, hashValue(key, 'g-1'));
    assert.equal(group.previousId, 'old-id');
    const dropped = apply({ dropFields: ['userId'] }, alias);
    assert.equal(dropped.userId, hashValue(key, 'new-id'), 'an identity field cannot be dropped: it is hashed');
  });

  it('leaves the client object untouched and keeps unlisted fields', () => {
    const props = { email: 'a@x.io', list: [{ email: 'b@x.io' }], n: 1, ok: true, none: null };
    const copy = structuredClone(props);
    const out = apply({ hashFields: ['email'] }, event({ properties: props }));
    assert.deepEqual(props, copy);
    assert.equal(out.properties!.n, 1);
    assert.equal(out.properties!.ok, true);
    assert.equal(out.properties!.none, null);
  });
});
