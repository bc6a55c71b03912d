import assert from 'node:assert/strict';
import { test } from 'node:test';
import { UndiciAgent, undiciErrors, undiciIndex } from './undici';

const indexLoaded = () => Object.keys(require.cache).some((f) => /\/undici\/index\.js$/.test(f));

test('the Agent and the Dispatcher methods load without undici’s index (issue 20: 4.1 → 1.1 MB of heap)', () => {
  assert.equal(indexLoaded(), false);
  const agent = new UndiciAgent();
  assert.equal(typeof agent.request, 'function', 'Dispatcher.prototype.request, as the index installs it');
  assert.equal(typeof agent.stream, 'function');
  assert.equal(indexLoaded(), false);
  void agent.close();
});

test('the parts are the very exports of undici’s index (a moved file fails here, not in production)', () => {
  const index = undiciIndex();
  assert.equal(indexLoaded(), true);
  assert.equal(UndiciAgent, index.Agent);
  assert.equal(undiciErrors, index.errors);
  assert.equal(undiciErrors.RequestAbortedError, index.errors.RequestAbortedError);
});
