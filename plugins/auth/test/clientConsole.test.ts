import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import type { TestGateway } from '@aihub/core/testing';
import {
  basic,
  bearer,
  createEnv,
  form,
  json,
  newAdminKey,
  rows,
  startAuthGateway,
  withSql,
  type Backend,
  type Env,
} from './helpers';

/** PATCH of OAuth clients, as the console's edit form uses it. */
const BACKENDS: Backend[] = ['sqlite', 'postgres'];

for (const backend of BACKENDS) {
  describe(`OAuth client updates (${backend})`, () => {
    let env: Env;
    let gw: TestGateway;
    const admin = newAdminKey();
    let tenant: string;
    let other: string;

    const send = (method: string, path: string, body?: unknown, key = admin) =>
      gw.fetch(path, {
        method,
        headers: bearer(key, { 'content-type': 'application/json' }),
        body: body === undefined ? undefined : JSON.stringify(body),
      });
    const base = () => `/admin/v1/tenants/${tenant}/oauth-clients`;
    const stored = async (clientId: string) =>
      (await rows(env, `SELECT id FROM auth_oidc_payloads WHERE client_id = '${clientId}'`)).length;
    const fakeGrant = (clientId: string, id: string) =>
      withSql(env, (sql) =>
        sql.query(
          `INSERT INTO auth_oidc_payloads (kind, id, payload, client_id) VALUES ('RefreshToken', :id, '{}', :clientId)`,
          { replacements: { id, clientId } },
        ),
      );

    before(async () => {
      env = await createEnv(backend);
      gw = await startAuthGateway(env, { adminKey: admin });
      const list = await json(await send('GET', '/admin/v1/tenants'));
      tenant = (list.data as { id: string; slug: string }[]).find((t) => t.slug === 'default')!.id;
      other = (
        (await json(await send('POST', '/admin/v1/tenants', { name: 'Other', slug: 'other' }))) as { id: string }
      ).id;
    });

    after(async () => {
      await gw?.stop();
      await env?.db.drop();
    });

    test('name, redirect URIs and scopes change; only narrowing revokes stored grants; audited', async () => {
      const created = await json(
        await send('POST', base(), {
          name: 'web',
          grant_types: ['authorization_code', 'refresh_token'],
          redirect_uris: ['https://app.example.com/cb'],
          scopes: ['ai:invoke', 'admin:read'],
        }),
      );
      const id = created.client_id as string;
      await fakeGrant(id, 'rt-1');
      const renamed = await send('PATCH', `${base()}/${id}`, {
        name: 'web app',
        redirect_uris: ['https://app.example.com/cb', 'https://app.example.com/cb2'],
      });
      const view = await json(renamed);
      assert.equal(renamed.status, 200, JSON.stringify(view));
      assert.equal(view.name, 'web app');
      assert.deepEqual(view.redirect_uris, ['https://app.example.com/cb', 'https://app.example.com/cb2']);
      assert.equal(view.client_secret, undefined, 'the secret is never shown again');
      assert.equal(await stored(id), 1, 'adding keeps grants');
      const narrowed = await json(await send('PATCH', `${base()}/${id}`, { scopes: ['ai:invoke'] }));
      assert.deepEqual(narrowed.scopes, ['ai:invoke']);
      assert.equal(await stored(id), 0, 'taking a scope away revokes grants and refresh tokens');
      assert.equal((await json(await send('GET', `${base()}/${id}`))).name, 'web app');
      const audit = await (await send('GET', `/admin/v1/tenants/${tenant}/audit?action=oauth_client.update`)).text();
      assert.ok(audit.includes(id) && audit.includes('web app'), audit);
    });

    test('the combined result must still make sense; what is fixed at creation cannot be sent', async () => {
      const created = await json(
        await send('POST', base(), {
          name: 'svc',
          grant_types: ['authorization_code'],
          redirect_uris: ['https://x.example.com/cb'],
        }),
      );
      const id = created.client_id as string;
      const bad = await send('PATCH', `${base()}/${id}`, { grant_types: ['client_credentials'] });
      const problem = await json(bad);
      assert.equal(bad.status, 400);
      assert.equal(problem.code, 'invalid_client_settings');
      assert.match(problem.detail as string, /redirect URIs only apply/);
      const ok = await send('PATCH', `${base()}/${id}`, { grant_types: ['client_credentials'], redirect_uris: [] });
      assert.equal(ok.status, 200);
      // The client works with its new grant type at once.
      const secretless = await json(
        await send('POST', base(), {
          name: 'spa',
          grant_types: ['authorization_code'],
          redirect_uris: ['https://spa.example.com/cb'],
          token_endpoint_auth_method: 'none',
        }),
      );
      assert.equal(
        (
          await send('PATCH', `${base()}/${secretless.client_id}`, {
            grant_types: ['client_credentials'],
            redirect_uris: [],
          })
        ).status,
        400,
        'a public client cannot use client_credentials',
      );
      for (const body of [
        { token_endpoint_auth_method: 'none' },
        { role: 'owner' },
        { first_party: true },
        {},
        { redirect_uris: ['http://evil.example.com/cb'] },
      ]) {
        assert.equal((await send('PATCH', `${base()}/${id}`, body)).status, 400, JSON.stringify(body));
      }
    });

    test('a client_credentials client gets tokens with its narrowed scopes', async () => {
      const created = await json(
        await send('POST', base(), {
          name: 'machine',
          grant_types: ['client_credentials'],
          scopes: ['ai:invoke', 'events:write'],
        }),
      );
      const id = created.client_id as string;
      assert.equal((await send('PATCH', `${base()}/${id}`, { scopes: ['events:write'] })).status, 200);
      const res = await gw.fetch(
        '/oauth/token',
        form(
          { grant_type: 'client_credentials', scope: 'ai:invoke' },
          { authorization: basic(id, created.client_secret as string) },
        ),
      );
      const body = await json(res);
      assert.ok(
        res.status !== 200 || !String(body.scope ?? '').includes('ai:invoke'),
        `a scope taken away is never granted: ${JSON.stringify(body)}`,
      );
    });

    test("allowed_models within the tenant's, carried by the client's tokens (issue 14 item 7)", async () => {
      assert.equal(
        (await send('PATCH', `/admin/v1/tenants/${other}/settings`, { allowedModels: ['gpt-4o-mini', 'embed'] }))
          .status,
        200,
      );
      const otherBase = `/admin/v1/tenants/${other}/oauth-clients`;
      const wide = await send('POST', otherBase, {
        name: 'wide',
        grant_types: ['client_credentials'],
        allowed_models: ['gpt-4o'],
      });
      assert.equal(wide.status, 400);
      assert.equal((await json(wide)).code, 'model_not_in_tenant');
      const created = await json(
        await send('POST', otherBase, {
          name: 'narrow',
          grant_types: ['client_credentials'],
          allowed_models: ['gpt-4o-mini', 'embed'],
        }),
      );
      assert.deepEqual(created.allowed_models, ['gpt-4o-mini', 'embed']);
      const id = created.client_id as string;
      const principal = async () => {
        const tok = await json(
          await gw.fetch(
            '/oauth/token',
            form(
              { grant_type: 'client_credentials', scope: 'ai:invoke' },
              { authorization: basic(id, created.client_secret as string) },
            ),
          ),
        );
        const who = await json(await gw.fetch('/v1/probe/whoami', { headers: bearer(tok.access_token as string) }));
        return who.principal as { kind: string; allowedModels?: string[] };
      };
      assert.deepEqual((await principal()).allowedModels, ['gpt-4o-mini', 'embed']);
      assert.equal((await send('PATCH', `${otherBase}/${id}`, { allowed_models: ['o1'] })).status, 400);
      const narrowed = await json(await send('PATCH', `${otherBase}/${id}`, { allowed_models: ['embed'] }));
      assert.deepEqual(narrowed.allowed_models, ['embed']);
      assert.deepEqual((await principal()).allowedModels, ['embed']);
      assert.equal(
        (await json(await send('PATCH', `${otherBase}/${id}`, { allowed_models: null }))).allowed_models,
        null,
      );
      assert.equal((await principal()).allowedModels, undefined);
    });

    test('rank, delegation and tenancy: 403 above the caller, 404 for another tenant', async () => {
      const ownerClient = await json(
        await send('POST', base(), { name: 'owner svc', grant_types: ['client_credentials'], role: 'owner' }),
      );
      const dev = await json(
        await send('POST', `/admin/v1/tenants/${tenant}/api-keys`, {
          name: 'admin key',
          role: 'admin',
          scopes: ['admin:read', 'admin:write'],
        }),
      );
      assert.equal(
        (await send('PATCH', `${base()}/${ownerClient.client_id}`, { name: 'x' }, dev.key as string)).status,
        403,
      );
      const mine = await json(
        await send(
          'POST',
          base(),
          { name: 'mine', grant_types: ['client_credentials'], scopes: ['admin:read'] },
          dev.key as string,
        ),
      );
      const over = await send('PATCH', `${base()}/${mine.client_id}`, { scopes: ['ai:invoke'] }, dev.key as string);
      assert.equal(over.status, 403, 'cannot grant a scope the caller lacks');
      assert.equal(
        (await send('PATCH', `${base()}/${mine.client_id}`, { name: 'mine 2' }, dev.key as string)).status,
        200,
      );
      assert.equal(
        (await send('PATCH', `/admin/v1/tenants/${other}/oauth-clients/${mine.client_id}`, { name: 'x' })).status,
        404,
      );
    });
  });
}
