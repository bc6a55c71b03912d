import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { API_VERSIONS } from '@aihub/core/plugin-api';
import type { TestGateway } from '@aihub/core/testing';
import { CLIENT_API_VERSION, clientMetadata } from '../src/oauth/clientMetadata';
import { FIRST_PARTY_CLIENTS, type FirstPartyClients } from '../src/oauth/firstParty';
import type { OAuthClientRow } from '../src/models';
import {
  basic,
  bearer,
  createEnv,
  decodeJwt,
  form,
  json,
  newAdminKey,
  rows,
  startAuthGateway,
  type Backend,
  type Env,
} from './helpers';

const [OLD, CURRENT] = API_VERSIONS;

/**
 * API version pins of OAuth clients with the real auth and tenancy plugins: a client is pinned at
 * creation (default: the tenant's pin, else the current version), its tokens carry the pin, and a
 * request authenticated by one resolves AIHub-Version header > client pin > tenant pin > current.
 * The pin is shown and changed through the admin API like a key's.
 */
for (const backend of ['sqlite', 'postgres'] as Backend[]) {
  describe(`OAuth client API version pins (${backend})`, () => {
    let env: Env;
    let gw: TestGateway;
    const admin = newAdminKey();
    let tenant: string;
    const send = async (method: string, path: string, body?: unknown) => {
      const res = await gw.fetch(path, {
        method,
        headers: bearer(admin, { 'content-type': 'application/json' }),
        body: body === undefined ? undefined : JSON.stringify(body),
      });
      return { status: res.status, body: await json(res) };
    };
    const clients = () => `/admin/v1/tenants/${tenant}/oauth-clients`;
    const createClient = async (extra: Record<string, unknown> = {}) => {
      const res = await send('POST', clients(), {
        name: 'svc',
        grant_types: ['client_credentials'],
        scopes: ['ai:invoke'],
        ...extra,
      });
      assert.equal(res.status, 201, JSON.stringify(res.body));
      return res.body as { client_id: string; client_secret: string; api_version: string | null };
    };
    const tokenOf = async (client: { client_id: string; client_secret: string }) => {
      const res = await gw.fetch(
        '/oauth/token',
        form({ grant_type: 'client_credentials' }, { authorization: basic(client.client_id, client.client_secret) }),
      );
      const body = await json(res);
      assert.equal(res.status, 200, JSON.stringify(body));
      return body.access_token as string;
    };
    const servedAt = async (token: string, headers: Record<string, string> = {}) => {
      const res = await gw.fetch('/v1/probe/whoami', { headers: bearer(token, headers) });
      assert.equal(res.status, 200);
      await res.arrayBuffer();
      return res.headers.get('aihub-version');
    };
    const pinTenant = async (version: string) =>
      assert.equal((await send('PATCH', `/admin/v1/tenants/${tenant}/settings`, { apiVersion: version })).status, 200);

    before(async () => {
      env = await createEnv(backend);
      gw = await startAuthGateway(env, { adminKey: admin, auth: { issuer: 'http://127.0.0.1/oauth-pins' } });
      const created = await send('POST', '/admin/v1/tenants', { name: 'Pinned clients', slug: 'pinned-clients' });
      assert.equal(created.status, 201);
      tenant = created.body.id as string;
    });
    after(async () => {
      await gw?.stop();
      await env?.db.drop();
    });

    test('a client is pinned to the tenant’s version at creation; its tokens are served at it; the header wins', async () => {
      const current = await createClient();
      assert.equal(current.api_version, CURRENT, 'the tenant is pinned to the current version');
      assert.equal(await servedAt(await tokenOf(current)), CURRENT);

      await pinTenant(OLD);
      const old = await createClient();
      assert.equal(old.api_version, OLD, 'default: the tenant’s pin');
      const token = await tokenOf(old);
      assert.equal(decodeJwt(token).payload.api_version, OLD);
      assert.equal(await servedAt(token), OLD);
      assert.equal(await servedAt(token, { 'AIHub-Version': CURRENT }), CURRENT);

      // The client's own pin beats the tenant's.
      const explicit = await createClient({ api_version: CURRENT });
      assert.equal(explicit.api_version, CURRENT);
      assert.equal(await servedAt(await tokenOf(explicit)), CURRENT);
      await pinTenant(CURRENT);
    });

    test('the console (a first-party client) is pinned to the current version at every start, never a tenant’s', async () => {
      // The console is built for this gateway's current admin API: a tenant's older pin would hand it
      // downgraded answers, and past that version's sunset a 410 on every call (the upgrade button too).
      const firstParty = gw.kernel.root.get(FIRST_PARTY_CLIENTS as never) as FirstPartyClients;
      const spec = {
        clientId: 'pins-console',
        name: 'Console',
        redirectUris: ['http://127.0.0.1/console/callback'],
        postLogoutRedirectUris: ['http://127.0.0.1/console/'],
        scopes: ['admin:read', 'admin:write'],
      };
      await pinTenant(OLD);
      await firstParty.ensureFirstPartyClient(spec);
      const read = async () =>
        (
          await rows(env, `SELECT * FROM auth_oauth_clients WHERE client_id = 'pins-console'`)
        )[0] as unknown as OAuthClientRow;
      assert.equal((await read()).api_version, CURRENT);
      assert.equal(clientMetadata(await read(), undefined)[CLIENT_API_VERSION], CURRENT, 'its tokens carry the pin');
      // Created by an older gateway (whose current version was older): the next start moves it on.
      await rows(env, `UPDATE auth_oauth_clients SET api_version = '${OLD}' WHERE client_id = 'pins-console'`);
      await firstParty.ensureFirstPartyClient(spec);
      assert.equal((await read()).api_version, CURRENT);
      await pinTenant(CURRENT);
    });

    test('the pin is shown and changed through the admin API; null follows the tenant; unknown versions are refused', async () => {
      const c = await createClient({ api_version: OLD });
      const path = `${clients()}/${c.client_id}`;
      assert.equal((await send('GET', path)).body.api_version, OLD);
      const listed = (await send('GET', clients())).body.data as { client_id: string; api_version: string | null }[];
      assert.equal(listed.find((x) => x.client_id === c.client_id)?.api_version, OLD);
      assert.equal(await servedAt(await tokenOf(c)), OLD);

      let res = await send('PATCH', path, { api_version: CURRENT });
      assert.equal(res.status, 200, JSON.stringify(res.body));
      assert.equal(res.body.api_version, CURRENT);
      assert.equal(await servedAt(await tokenOf(c)), CURRENT, 'tokens issued after the change carry the new pin');

      res = await send('PATCH', path, { api_version: null });
      assert.equal(res.body.api_version, null);
      await pinTenant(OLD);
      const token = await tokenOf(c);
      assert.equal(decodeJwt(token).payload.api_version, undefined);
      assert.equal(await servedAt(token), OLD, 'no client pin: the tenant’s');
      await pinTenant(CURRENT);
      assert.equal(await servedAt(token), CURRENT);

      const bad = await send('POST', clients(), {
        name: 'bad',
        grant_types: ['client_credentials'],
        api_version: '2019-01-01',
      });
      assert.equal(bad.status, 400);
      assert.equal(bad.body.param, 'api_version');
      const badPatch = await send('PATCH', path, { api_version: 'latest' });
      assert.equal(badPatch.status, 400);
      assert.equal(badPatch.body.param, 'api_version');
    });
  });
}
