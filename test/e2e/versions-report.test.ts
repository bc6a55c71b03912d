/**
 * Migration tooling for API versions end to end: requests served at the old and the current version
 * (header, key pin) leave usage rows carrying their version (SQLite and PostgreSQL), and
 * `aihub versions report` lists the tenants and keys still on the old one with counts and last use.
 */
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { promisify } from 'node:util';
import { API_VERSIONS, type PluginDefinition } from '@aihub/core/plugin-api';
import {
  asCaller,
  createBackend,
  createDatabase,
  identityPlugin,
  startTestGateway,
  waitFor,
  type Backend,
  type BackendKind,
  type TestGateway,
} from '@aihub/core/testing';
import ai from '@aihub/plugin-ai';
import usage from '@aihub/plugin-usage';
import { oldVersionCallers } from '../../core/src/cli/versionsReport';

const run = promisify(execFile);
const REPO_ROOT = path.resolve(__dirname, '..', '..');
const [OLD, CURRENT] = API_VERSIONS;

function startUpstream(): Promise<{ url: string; close(): Promise<void> }> {
  const server = http.createServer((req, res) => {
    req.resume();
    req.on('end', () => {
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end(
        JSON.stringify({
          id: 'c1',
          object: 'chat.completion',
          created: 1,
          model: 'm',
          choices: [{ index: 0, message: { role: 'assistant', content: 'ok' }, finish_reason: 'stop' }],
          usage: { prompt_tokens: 3, completion_tokens: 1, total_tokens: 4 },
        }),
      );
    });
  });
  return new Promise((resolve) =>
    server.listen(0, '127.0.0.1', () =>
      resolve({
        url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
        close: () => new Promise<void>((r) => server.close(() => r())),
      }),
    ),
  );
}

for (const kind of ['embedded', 'postgres'] as BackendKind[]) {
  describe(`usage rows carry the API version; aihub versions report (${kind})`, () => {
    let backend: Backend;
    let up: { url: string; close(): Promise<void> };
    let gw: TestGateway;
    let dir: string;

    before(async () => {
      backend = await createBackend(kind);
      up = await startUpstream();
      dir = await mkdtemp(path.join(os.tmpdir(), 'aihub-versions-'));
      gw = await startTestGateway({
        plugins: [identityPlugin(), ai as PluginDefinition, usage as PluginDefinition],
        pluginConfig: {
          ai: {
            providers: { up: { type: 'openai', baseUrl: `${up.url}/v1`, apiKey: 'k' } },
            models: { m: { deployments: [{ provider: 'up', model: 'm' }] } },
            retry: { maxAttempts: 1 },
          },
          usage: { consumer: { blockMs: 50 } },
        },
        config: backend.config,
      });
    });

    after(async () => {
      await gw?.stop();
      await up?.close();
      await backend?.cleanup();
      if (dir) await rm(dir, { recursive: true, force: true });
    });

    const chat = async (headers: Record<string, string>) => {
      const res = await gw.fetch('/v1/chat/completions', {
        method: 'POST',
        headers: { ...headers, 'content-type': 'application/json' },
        body: JSON.stringify({ model: 'm', messages: [{ role: 'user', content: 'hi' }] }),
      });
      assert.equal(res.status, 200, await res.clone().text());
      await res.arrayBuffer();
      return res.headers.get('aihub-version');
    };

    it('records each request’s version and reports the callers of the old one', async () => {
      assert.equal(await chat({ ...asCaller({ tenant: 'ta', key: 'k-old' }), 'AIHub-Version': OLD }), OLD);
      assert.equal(await chat({ ...asCaller({ tenant: 'ta', key: 'k-old' }), 'AIHub-Version': OLD }), OLD);
      assert.equal(await chat(asCaller({ tenant: 'tb', key: 'k-pinned', keyApiVersion: OLD })), OLD);
      assert.equal(await chat(asCaller({ tenant: 'tc', key: 'k-new' })), CURRENT);

      const db = createDatabase({ url: backend.databaseUrl });
      try {
        let rows: Record<string, unknown>[] = [];
        await waitFor('4 usage rows', async () => {
          rows = (await db.sequelize.query('SELECT key_id, api_version FROM usage_records', {
            type: 'SELECT',
          })) as Record<string, unknown>[];
          return rows.length === 4;
        });
        assert.deepEqual(
          rows.filter((r) => r.key_id === 'k-new').map((r) => r.api_version),
          [CURRENT],
        );
        assert.deepEqual(
          rows.filter((r) => r.key_id === 'k-old').map((r) => r.api_version),
          [OLD, OLD],
        );

        const callers = await oldVersionCallers(db, new Date(Date.now() - 86_400_000).toISOString());
        assert.deepEqual(
          callers.map((c) => [c.tenantId, c.keyId, c.apiVersion, c.calls]),
          [
            ['ta', 'k-old', OLD, 2],
            ['tb', 'k-pinned', OLD, 1],
          ],
        );
        assert.ok(Date.parse(callers[0].lastUsed) > Date.now() - 600_000);
      } finally {
        await db.close();
      }

      // The CLI against the same database, as an operator runs it.
      const file = path.join(dir, 'aihub.yaml');
      await writeFile(file, `database:\n  url: ${JSON.stringify(backend.databaseUrl)}\nplugins: []\n`);
      const cli = (args: string[]) =>
        run(
          process.execPath,
          [
            '--conditions=aihub-source',
            '--import',
            'tsx',
            path.join(REPO_ROOT, 'core/src/cli.ts'),
            'versions',
            'report',
            '--config',
            file,
            ...args,
          ],
          { cwd: REPO_ROOT, env: { ...process.env, AIHUB_CONFIG: '' } },
        );
      const json = JSON.parse((await cli(['--json'])).stdout) as {
        current: string;
        callers: { keyId: string; calls: number }[];
      };
      assert.equal(json.current, CURRENT);
      assert.deepEqual(
        json.callers.map((c) => [c.keyId, c.calls]),
        [
          ['k-old', 2],
          ['k-pinned', 1],
        ],
      );
      const text = (await cli([])).stdout;
      assert.match(text, /TENANT\s+KEY\s+VERSION\s+CALLS\s+LAST USED/);
      assert.match(text, new RegExp(`ta\\s+k-old\\s+${OLD}\\s+2\\s`));
      assert.doesNotMatch(text, /k-new/);
      await assert.rejects(
        cli(['--days', '0']),
        (err: { code?: number; stderr?: string }) => err.code === 64 && /--days/.test(err.stderr ?? ''),
      );
    });
  });
}
