import assert from 'node:assert/strict';
import { PassThrough } from 'node:stream';
import { describe, it } from 'node:test';
import { createLogger } from './createLogger';
import { runInRequest } from './requestContext';

function capture() {
  const stream = new PassThrough();
  const lines: Record<string, unknown>[] = [];
  stream.on('data', (d: Buffer) => {
    for (const line of d.toString().split('\n').filter(Boolean)) lines.push(JSON.parse(line));
  });
  return { stream, lines };
}

describe('createLogger', () => {
  it('writes JSON lines with the request, trace and tenant of the request being served', async () => {
    const { stream, lines } = capture();
    const logger = createLogger({ level: 'info', format: 'json', stream, defaultMeta: { service: 'aihub' } });
    const info = { requestId: 'req-1', traceId: 'a'.repeat(32), spanId: 'b'.repeat(16) } as {
      requestId: string;
      traceId: string;
      spanId: string;
      tenantId?: string;
    };
    runInRequest(info, undefined, () => {
      info.tenantId = 'ten_1'; // set later in the request by the tenancy hook
      logger.child({ plugin: 'demo' }).info('inside');
    });
    logger.info('outside');
    await new Promise((r) => setImmediate(r));
    assert.equal(lines[0].message, 'inside');
    assert.equal(lines[0].request_id, 'req-1');
    assert.equal(lines[0].trace_id, 'a'.repeat(32));
    assert.equal(lines[0].span_id, 'b'.repeat(16));
    assert.equal(lines[0].tenant_id, 'ten_1');
    assert.equal(lines[0].plugin, 'demo');
    assert.equal(lines[0].service, 'aihub');
    assert.equal(lines[1].request_id, undefined);
  });

  it('never writes secrets, and keeps error stacks', async () => {
    const { stream, lines } = capture();
    const logger = createLogger({ level: 'info', format: 'json', stream });
    logger.warn('call failed', {
      authorization: 'Bearer sk-live-123',
      apiKey: 'sk-live-456',
      password: 'hunter2',
      err: new Error('boom'),
    });
    await new Promise((r) => setImmediate(r));
    const text = JSON.stringify(lines[0]);
    assert.doesNotMatch(text, /sk-live|hunter2/);
    assert.equal(lines[0].authorization, '[redacted]');
    assert.match(String((lines[0].err as { stack: string }).stack), /Error: boom/);
  });

  it('redacts key-like strings inside messages, string fields and error texts (issue 13 finding 12)', async () => {
    const { stream, lines } = capture();
    const logger = createLogger({ level: 'info', format: 'json', stream });
    const key = 'ahk_k1abcdef2345_' + 'S'.repeat(40);
    logger.warn(`key ${key} refused`, {
      reason:
        'deployment answered HTTP 401: Incorrect API key provided: sk-proj-AbCdEf123456. invalid x-api-key: zz-9988776655',
      err: new Error('upstream said Bearer eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiJhIn0.c2lnbmF0dXJl'),
      trace_id: 'f'.repeat(32),
    });
    await new Promise((r) => setImmediate(r));
    const text = JSON.stringify(lines[0]);
    assert.doesNotMatch(text, /SSSSSSSS|AbCdEf123456|zz-9988776655|eyJzdWIiOiJhIn0/);
    assert.match(String(lines[0].message), /ahk_k1abcdef2345_\[redacted\]/);
    assert.equal(lines[0].trace_id, 'f'.repeat(32));
  });
});
