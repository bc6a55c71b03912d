import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { z } from 'zod';
import { PrincipalKey, definePlugin } from '../src/plugin-api';
import { Kernel } from '../src/kernel/Kernel';
import { changedPaths } from '../src/config/reload';
import { createLogger } from '../src/services/createLogger';
import { runCliToEnd } from './support';

/** `Authorization: Bearer root-token` is a superadmin, `Bearer tenant-token` a tenant owner (as the auth plugin would say). */
const bearer = definePlugin({
  apiVersion: 'aihub.plugin/v1',
  name: 'bearer',
  version: '0.0.0',
  core: '^0.1.0',
  hooks: [
    {
      phase: 'request.authenticate',
      async handle(c, next) {
        const auth = c.get('authorization');
        if (auth === 'Bearer root-token')
          PrincipalKey.set(c, {
            kind: 'api_key',
            subject: 'key_root',
            tenantId: null,
            scopes: ['admin:read', 'admin:write'],
            superadmin: true,
          });
        if (auth === 'Bearer tenant-token')
          PrincipalKey.set(c, {
            kind: 'api_key',
            subject: 'key_t',
            tenantId: 't1',
            role: 'owner',
            scopes: ['admin:read', 'admin:write'],
          });
        await next();
      },
    },
  ],
});

/** A plugin whose `limits` reload live; `mode` needs a restart; limit 13 is refused. */
const applied: { next: unknown; changed: string[] }[] = [];
const tunable = definePlugin({
  apiVersion: 'aihub.plugin/v1',
  name: 'tunable',
  version: '0.0.0',
  core: '^0.1.0',
  config: z.object({ mode: z.string().default('a'), limits: z.record(z.string(), z.number()).default({}) }).strict(),
  reloadable: ['limits'],
  reload(_ctx, next, changed) {
    if (Object.values(next.limits).includes(13))
      throw Object.assign(new Error('refused'), {
        problems: [{ code: 'AIHUB_E_CONFIG_INVALID', path: 'limits.x', message: '13 is unlucky' }],
      });
    applied.push({ next, changed });
  },
});

function yaml(dir: string, o: { level?: string; bodyLimit?: string; mode?: string; limit?: number } = {}): string {
  return `server: { host: 127.0.0.1, port: 0, bodyLimit: ${o.bodyLimit ?? '1mb'} }
dataDir: ${dir}
logging: { level: ${o.level ?? 'info'} }
plugins:
  - name: bearer
  - name: tunable
    config:
      mode: ${o.mode ?? 'a'}
      limits: { x: ${o.limit ?? 1} }
`;
}

describe('config reload', () => {
  let dir: string;
  let file: string;
  let kernel: Kernel;
  before(async () => {
    dir = mkdtempSync(path.join(tmpdir(), 'aihub-reload-'));
    file = path.join(dir, 'aihub.yaml');
    writeFileSync(file, yaml(dir));
    const logger = createLogger({ level: 'info', format: 'json' });
    logger.silent = true;
    kernel = await Kernel.start({ file, definitions: [bearer, tunable], env: {}, logger });
  });
  after(async () => {
    await kernel?.stop('test');
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  const reload = (token: string) =>
    fetch(`${kernel.url}/admin/v1/config/reload`, { method: 'POST', headers: { authorization: `Bearer ${token}` } });

  it('changedPaths names each differing leaf', () => {
    assert.deepEqual(changedPaths({ a: 1, b: { c: [1, 2] }, d: 'x' }, { a: 1, b: { c: [1, 3, 4] }, e: 'y' }), [
      'b.c[1]',
      'b.c[2]',
      'd',
      'e',
    ]);
    assert.deepEqual(changedPaths({ a: { b: 1 } }, { a: { b: 1 } }), []);
  });

  it('applies reloadable changes, lists the rest as needing a restart (admin route, superadmins only)', async () => {
    assert.equal((await reload('tenant-token')).status, 403);
    assert.equal((await fetch(`${kernel.url}/admin/v1/config/reload`, { method: 'POST' })).status, 401);
    const unchanged = (await (await reload('root-token')).json()) as { outcome: string };
    assert.equal(unchanged.outcome, 'unchanged');

    writeFileSync(file, yaml(dir, { level: 'debug', bodyLimit: '2mb', mode: 'b', limit: 5 }));
    const res = await reload('root-token');
    assert.equal(res.status, 200);
    const report = (await res.json()) as {
      outcome: string;
      applied: string[];
      restart_required: string[];
      problems: unknown[];
    };
    assert.equal(report.outcome, 'applied');
    assert.deepEqual(report.applied.sort(), ['logging.level', 'plugins[1].config.limits.x']);
    assert.deepEqual(report.restart_required.sort(), ['plugins[1].config.mode', 'server.bodyLimit']);
    assert.equal(kernel.logger.level, 'debug');
    assert.deepEqual(applied.at(-1), { next: { mode: 'b', limits: { x: 5 } }, changed: ['limits.x'] });
  });

  it('keeps the running config when the file is invalid or a plugin refuses it, with the problems of a start', async () => {
    writeFileSync(file, yaml(dir, { bodyLimit: 'lots' }));
    let report = (await (await reload('root-token')).json()) as {
      outcome: string;
      problems: { code: string; path: string }[];
    };
    assert.equal(report.outcome, 'invalid');
    assert.ok(
      report.problems.some((p) => p.code === 'AIHUB_E_CONFIG_INVALID' && p.path === 'server.bodyLimit'),
      JSON.stringify(report.problems),
    );

    const before = applied.length;
    writeFileSync(file, yaml(dir, { limit: 13 }));
    report = (await (await reload('root-token')).json()) as typeof report;
    assert.equal(report.outcome, 'invalid');
    assert.deepEqual(report.problems, [
      { code: 'AIHUB_E_CONFIG_INVALID', path: 'plugins[1].config.limits.x', message: '13 is unlucky' },
    ]);
    assert.equal(applied.length, before);
  });

  it('`aihub config reload` prints the report; exit 78 when the file is refused; --pid signals', async () => {
    writeFileSync(file, yaml(dir, { limit: 7 }));
    let out = await runCliToEnd(['config', 'reload', '--url', kernel.url, '--token', 'root-token']);
    assert.equal(out.code, 0, out.stderr);
    assert.match(out.stdout, /^applied/);
    assert.match(out.stdout, /plugins\[1\]\.config\.limits\.x/);
    writeFileSync(file, 'plugins: [');
    out = await runCliToEnd(['config', 'reload', '--url', kernel.url, '--token', 'root-token']);
    assert.equal(out.code, 78);
    assert.match(out.stdout, /AIHUB_E_CONFIG_PARSE/);
    out = await runCliToEnd(['config', 'reload', '--url', kernel.url], { AIHUB_ADMIN_TOKEN: '' });
    assert.equal(out.code, 64);
    assert.match(out.stderr, /--token/);
    out = await runCliToEnd(['config', 'reload', '--pid', 'abc']);
    assert.equal(out.code, 64);
  });
});
