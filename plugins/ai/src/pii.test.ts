import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { luhnValid, redactMessages, redactPii } from './pii';

describe('PII redaction', () => {
  it('checks card numbers with Luhn', () => {
    assert.equal(luhnValid('4111111111111111'), true);
    assert.equal(luhnValid('4111111111111112'), false);
    assert.equal(luhnValid('5500000000000004'), true);
    assert.equal(luhnValid('378282246310005'), true);
    assert.equal(luhnValid(''), false);
    assert.equal(luhnValid('12a4'), false);
  });

  it('redacts e-mails, valid cards (spaces, dashes) and phones, and counts them', () => {
    const r = redactPii(
      'a.b+c@mail.example.co.uk paid with 5500-0000-0000-0004 and 4111 1111 1111 1111; call (415) 555-2671 or +44 20 7946 0958',
    );
    assert.equal(
      r.text,
      '[REDACTED_EMAIL] paid with [REDACTED_CARD] and [REDACTED_CARD]; call [REDACTED_PHONE] or [REDACTED_PHONE]',
    );
    assert.deepEqual(r.counts, { email: 1, card: 2, phone: 2 });
  });

  it('leaves numbers that are not PII: invalid cards, dates, IPs, short ids, versions', () => {
    for (const t of [
      'card 4111 1111 1111 1112',
      'on 2024-01-15',
      'from 192.168.100.200',
      'order 1234567',
      'v1.2.3',
      'no digits here',
      'total 12,345.67',
    ]) {
      assert.equal(redactPii(t).text, t, t);
    }
  });

  it('can switch kinds off and change placeholders', () => {
    assert.equal(
      redactPii('x@y.io 4111111111111111', { cards: false, placeholders: { email: '<e>' } }).text,
      '<e> 4111111111111111',
    );
  });

  it('redacts chat messages in place, strings and text parts', () => {
    const msgs = [
      { content: 'mail x@y.io' },
      { content: [{ type: 'text', text: 'card 4111111111111111' }, { type: 'image_url' }] },
      { content: null },
    ];
    assert.equal(redactMessages(msgs as { content?: unknown }[]), 2);
    assert.equal(msgs[0].content, 'mail [REDACTED_EMAIL]');
    assert.deepEqual((msgs[1].content as { text?: string }[])[0].text, 'card [REDACTED_CARD]');
  });
});
