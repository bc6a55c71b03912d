import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { Database } from '@aihub/core/plugin-api';
import { postJson, startStack, type Stack } from '../../test/harness';
import { CATALOG_KEY, auditSink, superadminIdentity } from '../../test/catalogAdmin';

const ROOT = { 'x-test-superadmin': '1' };
const json = (extra: Record<string, string> = {}) => ({ 'content-type': 'application/json', ...ROOT, ...extra });
const chat = (model: string) => ({ model, messages: [{ role: 'user', content: 'hi' }] });

describe('live catalog through the admin API (embedded SQLite)', () => {
  let stack: Stack;
  const audit = auditSink();
  before(async () => {
    stack = await startStack({
      ai: { catalog: { encryptionKey: CATALOG_KEY } },
      plugins: [superadminIdentity, audit.def],
    });
  });
  after(() => stack?.stop());

  const put = (path: string, body: unknown, headers: Record<string, string> = {}) =>
    stack.fetch(`/admin/v1/ai/catalog/${path}`, { method: 'PUT', headers: json(headers), body: JSON.stringify(body) });
  const catalog = async () =>
    (await (await stack.fetch('/admin/v1/ai/catalog', { headers: ROOT })).json()) as {
      revision: number;
      providers: { name: string; source: string; config: { apiKey?: string } | null }[];
      models: { name: string; source: string; overrides_file: boolean; disabled: boolean }[];
    };

  it('lists file entries with source file at revision 0, for superadmins only', async () => {
    const res = await stack.fetch('/admin/v1/ai/catalog', { headers: ROOT });
    assert.equal(res.status, 200);
    assert.equal(res.headers.get('etag'), '"0"');
    const body = await catalog();
    assert.deepEqual(
      body.models.map((m) => [m.name, m.source]),
      [
        ['gpt-4o-mini', 'file'],
        ['text-embedding-3-small', 'file'],
      ],
    );
    const up = body.providers.find((p) => p.name === 'up')!;
    assert.equal(up.config!.apiKey, 'sk-…6789', 'a file credential is masked');
    const tenantAdmin = await stack.fetch('/admin/v1/ai/catalog', { headers: { 'x-test-admin': '1' } });
    assert.equal(tenantAdmin.status, 403);
    assert.equal(((await tenantAdmin.json()) as { code: string }).code, 'platform_admin_required');
    assert.equal((await stack.fetch('/admin/v1/ai/catalog')).status, 401);
  });

  it('adds a provider (credential sealed at rest, shown masked) and a model that is usable at once', async () => {
    const secret = 'sk-test-upstream-secret-0123456789';
    let res = await put(
      'providers/up2',
      { type: 'openai', baseUrl: `${stack.mock.url}/v1`, apiKey: secret },
      { 'if-match': '"0"' },
    );
    assert.equal(res.status, 200, await res.clone().text());
    assert.equal(res.headers.get('etag'), '"1"');
    const text = await res.text();
    assert.ok(!text.includes(secret), 'the credential is never returned');
    assert.match(text, /sk-…6789/);
    const db = (stack.kernel as unknown as { database: Database }).database;
    const [rows] = await db.sequelize.query('SELECT overlay FROM ai_catalog_revisions');
    const stored = JSON.stringify(rows);
    assert.ok(!stored.includes(secret) && stored.includes('apiKeySealed'), 'the credential is stored sealed');
    res = await put('models/team-model', { deployments: [{ provider: 'up2', model: 'gpt-4o-mini' }] });
    assert.equal(res.status, 200, await res.clone().text());
    const ok = await postJson(stack, '/v1/chat/completions', chat('team-model'));
    assert.equal(ok.status, 200, await ok.clone().text());
    const body = await catalog();
    const entry = body.models.find((m) => m.name === 'team-model')!;
    assert.deepEqual([entry.source, entry.overrides_file, entry.disabled], ['api', false, false]);
    // Tenants still see only what they may use.
    const listed = (await (
      await stack.fetch('/v1/models', {
        headers: { 'x-test-tenant': 't1', 'x-test-settings': JSON.stringify({ allowedModels: ['gpt-4o-mini'] }) },
      })
    ).json()) as { data: { id: string }[] };
    assert.deepEqual(
      listed.data.map((m) => m.id),
      ['gpt-4o-mini'],
    );
    const denied = await postJson(stack, '/v1/chat/completions', chat('team-model'), {
      'x-test-tenant': 't1',
      'x-test-settings': JSON.stringify({ allowedModels: ['gpt-4o-mini'] }),
    });
    assert.equal(denied.status, 404);
    assert.ok(
      audit.entries.some(
        (e) => e.action === 'ai_catalog.models.update' && e.targetId === 'models/team-model' && e.tenantId === null,
      ),
    );
    assert.ok(!JSON.stringify(audit.entries).includes(secret), 'audit entries carry the mask, not the credential');
  });

  it('rejects an invalid change with the schema and reference problems, and a stale If-Match with 412', async () => {
    let res = await put('models/broken', { deployments: [{ provider: 'nope', model: 'x' }] });
    assert.equal(res.status, 400);
    const problem = (await res.json()) as {
      code: string;
      details?: { issues: { path: string; message: string }[] };
      issues?: unknown;
    };
    assert.equal(problem.code, 'catalog_invalid');
    assert.match(JSON.stringify(problem), /models\.broken\.deployments\.0\.provider/);
    res = await put('models/broken', { deployments: [] });
    assert.equal(res.status, 400);
    res = await put('models/other', { deployments: [{ provider: 'up', model: 'gpt-4o-mini' }] }, { 'if-match': '"1"' });
    assert.equal(res.status, 412);
    assert.equal(((await res.json()) as { code: string }).code, 'catalog_revision_mismatch');
  });

  it('disables a file entry (cannot delete it), overrides one, and deleting the override brings the file entry back', async () => {
    let res = await stack.fetch('/admin/v1/ai/catalog/models/text-embedding-3-small', {
      method: 'DELETE',
      headers: ROOT,
    });
    assert.equal(res.status, 404);
    assert.match(((await res.json()) as { detail: string }).detail, /disable it/);
    res = await put('models/text-embedding-3-small', { disabled: true });
    assert.equal(res.status, 200, await res.clone().text());
    assert.equal(
      (await postJson(stack, '/v1/embeddings', { model: 'text-embedding-3-small', input: 'x' })).status,
      404,
    );
    const m = (await catalog()).models.find((x) => x.name === 'text-embedding-3-small')!;
    assert.deepEqual([m.source, m.overrides_file, m.disabled], ['api', true, true]);
    res = await stack.fetch('/admin/v1/ai/catalog/models/text-embedding-3-small', { method: 'DELETE', headers: ROOT });
    assert.equal(res.status, 200);
    assert.equal(
      (await postJson(stack, '/v1/embeddings', { model: 'text-embedding-3-small', input: 'x' })).status,
      200,
    );
  });

  it('takes a name with a slash URL-encoded, and tells tenants which aliases came through the API', async () => {
    const res = await put(`models/${encodeURIComponent('meta-llama/Llama-3.1-8B')}`, {
      deployments: [{ provider: 'up', model: 'gpt-4o-mini' }],
    });
    assert.equal(res.status, 200, await res.clone().text());
    assert.equal((await postJson(stack, '/v1/chat/completions', chat('meta-llama/Llama-3.1-8B'))).status, 200);
    const view = (await (await stack.fetch('/admin/v1/tenants/t1/models', { headers: ROOT })).json()) as {
      editable: boolean;
      aliases: { alias: string; source: string }[];
    };
    assert.equal(view.editable, true);
    assert.equal(view.aliases.find((a) => a.alias === 'meta-llama/Llama-3.1-8B')?.source, 'api');
    assert.equal(view.aliases.find((a) => a.alias === 'gpt-4o-mini')?.source, 'file');
    assert.equal(
      (
        await stack.fetch(`/admin/v1/ai/catalog/models/${encodeURIComponent('meta-llama/Llama-3.1-8B')}`, {
          method: 'DELETE',
          headers: ROOT,
        })
      ).status,
      200,
    );
  });

  it('lists revisions, diffs one (credentials masked) and rolls back', async () => {
    const revs = (await (await stack.fetch('/admin/v1/ai/catalog/revisions', { headers: ROOT })).json()) as {
      revisions: { revision: number; action: string; author: string }[];
    };
    assert.deepEqual(
      revs.revisions.map((r) => r.revision),
      [6, 5, 4, 3, 2, 1],
    );
    assert.equal(revs.revisions[5].action, 'ai_catalog.providers.update');
    assert.equal(revs.revisions[5].author, 'usr_root');
    const diff = (await (await stack.fetch('/admin/v1/ai/catalog/revisions/1/diff', { headers: ROOT })).json()) as {
      changes: { op: string; name: string; after: { apiKey: string } }[];
    };
    assert.deepEqual(
      diff.changes.map((c) => [c.op, c.name]),
      [['add', 'up2']],
    );
    assert.equal(diff.changes[0].after.apiKey, 'sk-…6789');
    assert.equal((await stack.fetch('/admin/v1/ai/catalog/revisions/99/diff', { headers: ROOT })).status, 404);
    // Back to revision 1: the provider only, team-model gone.
    const res = await stack.fetch('/admin/v1/ai/catalog/revisions/1/rollback', { method: 'POST', headers: ROOT });
    assert.equal(res.status, 200, await res.clone().text());
    assert.equal(res.headers.get('etag'), '"7"');
    assert.equal((await postJson(stack, '/v1/chat/completions', chat('team-model'))).status, 404);
    const body = await catalog();
    assert.equal(body.revision, 7);
    assert.ok(body.providers.some((p) => p.name === 'up2' && p.source === 'api'));
  });
});
