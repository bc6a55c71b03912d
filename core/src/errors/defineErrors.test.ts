import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { GatewayError } from './GatewayError';
import { defineErrors } from './defineErrors';

describe('defineErrors', () => {
  const T = defineErrors('demo', {
    thing_missing: { status: 404, message: 'The thing does not exist.', fix: 'Create it first.' },
    too_fast: { status: 429, type: 'requests', message: 'Too many things.', fix: 'Slow down.' },
  });

  it("create() takes the status and type from the table, and the site's message", () => {
    const err = T.create('thing_missing', 'Thing 7 does not exist; create it first.', {
      param: 'thing_id',
      details: { id: 7 },
    });
    assert.ok(err instanceof GatewayError);
    assert.equal(err.code, 'thing_missing');
    assert.equal(err.status, 404);
    assert.equal(err.type, 'not_found_error');
    assert.equal(err.message, 'Thing 7 does not exist; create it first.');
    assert.equal(err.param, 'thing_id');
    assert.deepEqual(err.details, { id: 7 });
    assert.equal(err.expose, true);
  });

  it('without a message it says what the error means and what to do', () => {
    const err = T.create('too_fast', undefined, { headers: { 'retry-after': '3' } });
    assert.equal(err.message, 'Too many things. Slow down.');
    assert.equal(err.type, 'requests');
    assert.deepEqual(err.headers, { 'retry-after': '3' });
  });

  it('lists its codes in table order', () => {
    assert.equal(T.scope, 'demo');
    assert.deepEqual(T.codes(), ['thing_missing', 'too_fast']);
  });
});
