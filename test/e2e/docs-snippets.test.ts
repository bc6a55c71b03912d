import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { after, describe, it } from 'node:test';
import { startTestGateway, type TestGateway } from '@aihub/core/testing';
import type { PluginDefinition } from '@aihub/core/plugin-api';

/**
 * Code in the docs cannot rot (issue 14 item 15): every block fenced as ```ts test in README.md and
 * docs/plugins.md is written to a file, typechecked with the repository's compiler settings, and, when
 * it default-exports a plugin, started on startTestGateway and exercised.
 */
const root = path.resolve(__dirname, '../..');
const DOCS = ['README.md', 'docs/plugins.md'];
// Inside the repository so the snippets resolve @aihub/core and zod as a plugin in it would.
const dir = path.join(root, 'test/e2e', `.docs-snippets-${process.pid}`);
after(() => rmSync(dir, { recursive: true, force: true }));

interface Snippet {
  doc: string;
  line: number;
  code: string;
  file: string;
}

function snippets(): Snippet[] {
  const out: Snippet[] = [];
  for (const doc of DOCS) {
    const text = readFileSync(path.join(root, doc), 'utf8');
    for (const m of text.matchAll(/^```ts test\n([\s\S]*?)^```$/gm)) {
      const line = text.slice(0, m.index).split('\n').length;
      out.push({ doc, line, code: m[1], file: path.join(dir, `${doc.replace(/\W+/g, '_')}_${line}.ts`) });
    }
  }
  return out;
}

describe('documentation snippets', () => {
  const all = snippets();
  mkdirSync(dir, { recursive: true });
  for (const s of all) writeFileSync(s.file, `// ${s.doc}:${s.line}\n${s.code}`);

  it("the docs have tested snippets (the README plugin and the guide's whole plugin)", () => {
    assert.ok(
      all.some((s) => s.doc === 'README.md'),
      'README.md has a ```ts test block',
    );
    assert.ok(
      all.some((s) => s.doc === 'docs/plugins.md'),
      'docs/plugins.md has a ```ts test block',
    );
  });

  it('every ```ts test block typechecks', { timeout: 180_000 }, () => {
    const tsconfig = path.join(dir, 'tsconfig.json');
    writeFileSync(
      tsconfig,
      JSON.stringify({
        extends: '../../../tsconfig.json',
        compilerOptions: { noEmit: true },
        include: [],
        files: all.map((s) => path.basename(s.file)),
      }),
    );
    const tsc = spawnSync(process.execPath, [require.resolve('typescript/bin/tsc'), '-p', tsconfig], {
      cwd: root,
      encoding: 'utf8',
    });
    const where = (out: string) =>
      all.reduce((o, s) => o.replaceAll(path.relative(root, s.file), `${s.doc} block at line ${s.line}`), out);
    assert.equal(tsc.status, 0, `snippets do not compile:\n${where(tsc.stdout + tsc.stderr)}`);
  });

  it(
    'every plugin in a snippet starts on startTestGateway and its hooks and routes work',
    { timeout: 120_000 },
    async () => {
      for (const s of all) {
        const mod = (await import(s.file)) as { default?: PluginDefinition | { default?: PluginDefinition } };
        const def = (mod.default && 'default' in mod.default ? mod.default.default : mod.default) as
          PluginDefinition | undefined;
        if (!def || typeof def !== 'object' || !('apiVersion' in def)) continue;
        let gw: TestGateway | undefined;
        try {
          gw = await startTestGateway({ plugins: [def] });
          const hooks = [...gw.kernel.prepared.pipeline.values()].flat().filter((h) => h.plugin === def.name);
          assert.ok(hooks.length > 0 || def.routes, `${s.doc}:${s.line}: the plugin declares hooks or routes`);
          if (def.name === 'my-example') {
            const res = await gw.fetch('/plugins/my-example/info');
            assert.equal(res.status, 200);
            assert.equal(res.headers.get('x-aihub-example'), 'hello', 'the response hook stamped the answer');
            assert.deepEqual(await res.json(), { limits: [] });
            const ready = await gw.fetch('/health/ready');
            assert.notEqual(ready.status, 500);
          }
          if (def.name === 'hello')
            assert.ok(
              (gw.kernel.prepared.pipeline.get('response.transform') ?? []).some((h) => h.plugin === 'hello'),
              'hello stamps responses',
            );
        } finally {
          await gw?.stop();
        }
      }
    },
  );
});
