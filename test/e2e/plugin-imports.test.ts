import assert from 'node:assert/strict';
import path from 'node:path';
import { describe, it } from 'node:test';
import { ESLint } from 'eslint';

/**
 * One door into core (issue 19 item 2): the lint rule in eslint.config.mjs lets a plugin import core
 * only from @aihub/core/plugin-api, and its tests also from @aihub/core/testing.
 */
const root = path.resolve(__dirname, '../..');
const eslint = new ESLint({ cwd: root });

async function refused(file: string, code: string): Promise<string[]> {
  const [result] = await eslint.lintText(code, { filePath: path.join(root, file) });
  return result.messages
    .filter((m) => m.ruleId === 'no-restricted-imports' || m.ruleId === 'no-restricted-syntax')
    .map((m) => m.message);
}

describe('plugins import core only through the plugin API (and the testing kit in tests)', () => {
  it('allows the plugin API in source and the testing kit in tests and benches', async () => {
    assert.deepEqual(
      await refused(
        'plugins/example/src/new.ts',
        `import { errors } from '@aihub/core/plugin-api';\nexport const e = errors;\n`,
      ),
      [],
    );
    for (const file of [
      'plugins/example/src/new.test.ts',
      'plugins/example/test/new.test.ts',
      'plugins/example/bench/new.ts',
    ]) {
      assert.deepEqual(
        await refused(
          file,
          `import { startTestGateway } from '@aihub/core/testing';\nexport const s = startTestGateway;\n`,
        ),
        [],
        file,
      );
    }
  });

  it('refuses the package root, deep paths and relative paths into core, static or dynamic', async () => {
    for (const file of ['plugins/example/src/new.ts', 'plugins/example/test/new.test.ts']) {
      const messages = await refused(
        file,
        [
          `import { Kernel } from '@aihub/core';`,
          `import { x } from '@aihub/core/src/kernel/Kernel';`,
          `import { y } from '@aihub/core/plugin-api/deep';`,
          `import { z } from '../../../core/src/kernel/Kernel';`,
          `export const all = [Kernel, x, y, z, import('@aihub/core')];`,
        ].join('\n'),
      );
      assert.equal(
        messages.filter((m) => /Plugins (import core only|never import core files)/.test(m)).length >= 5,
        true,
        `${file}: ${messages.join('\n')}`,
      );
    }
  });

  it("refuses the testing kit in a plugin's source", async () => {
    const messages = await refused(
      'plugins/example/src/new.ts',
      `import { startTestGateway } from '@aihub/core/testing';\nexport const s = startTestGateway;\n`,
    );
    assert.equal(messages.length, 1);
    assert.match(messages[0], /testing kit is for tests only/);
  });

  it('leaves other packages alone', async () => {
    assert.deepEqual(
      await refused(
        'plugins/example/src/new.ts',
        `import { z } from 'zod';\nimport { a } from '@aihub/core-extra';\nexport const b = [z, a];\n`,
      ),
      [],
    );
  });
});
