import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { startConsoleEnv, type ConsoleEnv } from './harness';

/** The console's OAuth-client screen against a real gateway on PostgreSQL + Redis. */
describe('console: OAuth clients', () => {
  let env: ConsoleEnv;
  before(async () => {
    env = await startConsoleEnv();
  });
  after(async () => {
    await env?.stop();
  });

  test('register a machine client (secret once, it gets a token), edit a web client, delete confirmed by name', async () => {
    const page = await env.newPage();
    await env.signIn(page, env.admin, '/oauth-clients');
    await page.waitForSelector('h1#clients-title');
    await env.checkA11y(page, 'OAuth clients list');
    await page.click('[data-testid=client-create]');
    await page.fill('[data-testid=client-name]', 'Batch job');
    await env.checkA11y(page, 'OAuth client form');
    await page.click('[data-testid=client-save]');
    const secret = (await page.locator('[data-testid=secret-value]').innerText()).trim();
    assert.match(secret, /^ahcs_/);
    await page.click('button:has-text("I have stored it")');
    await page.waitForSelector('[data-testid=client-table] tr[data-client="Batch job"]');
    assert.ok(!(await page.content()).includes(secret), 'the secret is gone once the dialog closed');
    const clientId = (await page.locator('tr[data-client="Batch job"] td.mono').first().innerText()).trim();
    const token = await fetch(`${env.url}/oauth/token`, {
      method: 'POST',
      headers: {
        'content-type': 'application/x-www-form-urlencoded',
        authorization: `Basic ${Buffer.from(`${clientId}:${secret}`).toString('base64')}`,
      },
      body: new URLSearchParams({ grant_type: 'client_credentials' }).toString(),
    });
    assert.equal(token.status, 200, await token.clone().text());

    // A web client: edit its redirect URIs; an invalid one shows next to the field.
    await env.api('POST', `/admin/v1/tenants/${env.tenantId}/oauth-clients`, {
      name: 'Web',
      grant_types: ['authorization_code'],
      redirect_uris: ['https://web.example/cb'],
    });
    await page.reload();
    await page.click('tr[data-client="Web"] button:has-text("Edit")');
    await page.fill('[data-testid=client-redirects]', 'http://not-local.example/cb');
    await page.click('[data-testid=client-save]');
    await page.waitForSelector('[data-testid=form-error], mat-error');
    await page.fill('[data-testid=client-redirects]', 'https://web.example/cb\nhttps://web.example/cb2');
    await page.click('[data-testid=client-save]');
    await page.waitForSelector('tr[data-client="Web"] >> text=https://web.example/cb2');

    await page.click('tr[data-client="Batch job"] button:has-text("Delete")');
    assert.equal(await page.locator('[data-testid=confirm-button]').isDisabled(), true);
    await page.fill('[data-testid=confirm-input]', 'Batch job');
    await page.click('[data-testid=confirm-button]');
    await page.waitForSelector('tr[data-client="Batch job"]', { state: 'detached' });
    assert.deepEqual(env.pageErrors, []);
  });
});
