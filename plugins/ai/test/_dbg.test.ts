import { startStack, postJson } from './harness';
import { it } from 'node:test';
it('dbg', async () => {
  const s = await startStack({ ai: { requireAuth: false, retry: { maxAttempts: 2, baseDelayMs: 10, maxDelayMs: 20, maxRetryAfterMs: 2000 }, models: { ra: { deployments: [{ provider: 'up', model: 'ra-primary', weight: 1 }, { provider: 'up', model: 'ra-secondary', weight: 0 }] } } } });
  s.mock.setFailure({ status: 429, retryAfter: 1, match: { model: 'ra-primary' } });
  const t = Date.now();
  const r = await postJson(s, '/v1/chat/completions', { model: 'ra', messages: [{ role: 'user', content: 'hi' }] });
  console.log(r.status, Date.now() - t, r.headers.get('x-request-id'));
  await r.text();
  console.log(s.mock.requests.map(x => (x.body as {model:string}).model));
  console.log(s.logs.filter(l => /warn|error/.test(l)).join('\n').slice(0, 3000));
  await s.stop();
});
