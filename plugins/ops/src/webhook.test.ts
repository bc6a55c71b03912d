import assert from 'node:assert/strict';
import { createHmac } from 'node:crypto';
import { describe, it } from 'node:test';
import type { OpsEvent } from './EventLog';
import { signBody, webhookBody } from './webhook';

const event: OpsEvent = {
  id: 'ope_1',
  created_at: '2026-01-01T00:00:00.000Z',
  rule: 'drain-failing',
  action: 'drain',
  target: 'openai/gpt-4o',
  outcome: 'acted',
  reason: 'error_ratio of openai/gpt-4o is 0.9 (above 0.5): <script>',
  signal: 'error_ratio',
  value: 0.9,
  instance: 'gw-1',
  error: null,
};

describe('ops webhooks', () => {
  it('signs `<t>.<body>` with HMAC-SHA256', () => {
    assert.equal(
      signBody('s3cret-0123456789ab', '{"a":1}', 1700000000),
      `t=1700000000,v1=${createHmac('sha256', 's3cret-0123456789ab').update('1700000000.{"a":1}').digest('hex')}`,
    );
  });

  it('JSON carries the whole decision; Slack a text and blocks with the reason escaped', () => {
    assert.deepEqual(JSON.parse(webhookBody('json', event)), { type: 'ops.decision', ...event });
    const slack = JSON.parse(webhookBody('slack', event)) as {
      text: string;
      blocks: { type: string; text?: { text: string } }[];
    };
    assert.match(slack.text, /^AI Hub ops: rule drain-failing → drain openai\/gpt-4o \(acted\): error_ratio/);
    assert.deepEqual(
      slack.blocks.map((b) => b.type),
      ['header', 'section', 'context'],
    );
    assert.match(slack.blocks[1].text!.text, /&lt;script&gt;/);
  });
});
