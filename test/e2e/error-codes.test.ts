import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, describe, it } from 'node:test';
import { ProblemCode } from '@aihub/core';
import { defineErrors } from '@aihub/core/plugin-api';
import { checkErrorTables, loadErrorTables } from '../../scripts/errors/checkErrorTables';
import { ERRORS_DOC, renderErrorsDoc } from '../../scripts/gen-errors-doc';

const root = path.resolve(__dirname, '../..');

describe('error tables (issue 19 item 3)', () => {
  const tables = loadErrorTables(root);

  it('every code the sources raise is in a table, every table entry is raised, statuses agree', () => {
    assert.deepEqual(checkErrorTables(root, tables), []);
  });

  it('core and every plugin with a src/ has a table', () => {
    const dirs = tables.map((t) => t.dir);
    assert.equal(dirs[0], 'core');
    for (const p of ['ai', 'auth', 'behavior', 'cache', 'console', 'health', 'rate-limit', 'tenancy', 'usage'])
      assert.ok(dirs.includes(p), `plugins/${p}/src/errors.ts`);
    assert.ok(tables.reduce((n, t) => n + t.table.codes().length, 0) >= 130);
  });

  it('docs/errors.md lists every startup problem code with its meaning', () => {
    const doc = renderErrorsDoc(tables);
    for (const code of Object.values(ProblemCode)) assert.match(doc, new RegExp(`\\| \`${code}\` \\| \\S`), code);
  });

  it('docs/errors.md is generated from the tables (run `npm run errors:doc` after changing one)', () => {
    assert.equal(readFileSync(ERRORS_DOC, 'utf8'), renderErrorsDoc(tables));
  });
});

describe('the error-table check fails when it should', () => {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'aihub-errors-'));
  after(() => rmSync(dir, { recursive: true, force: true }));
  mkdirSync(path.join(dir, 'plugins', 'p', 'src'), { recursive: true });
  mkdirSync(path.join(dir, 'plugins', 'q', 'src'), { recursive: true });
  const write = (file: string, text: string) => {
    writeFileSync(path.join(dir, file), text);
    return file;
  };
  const files = [
    {
      scope: 'p',
      file: write(
        'plugins/p/src/routes.ts',
        [
          `throw errors.badRequest('x is wrong.', 'x_wrong', 'x');`,
          `throw new GatewayError('Nope.', { code: 'not_declared', status: 400 });`,
          `throw errors.notFound('Gone.');`,
          `throw new GatewayError('Late.', { code: 'q_only', status: 400 });`,
          `throw new GatewayError('Wrong status.', { code: 'x_wrong', status: 418 });`,
          `throw new GatewayError('Dynamic.', { code: someCode, status: 400 });`,
          `function fail(path: string, code: string, message: string) {}`,
          `fail('a', 'helper_code', 'A helper raised it.');`,
          `const bad = (message: string, code: string) => new GatewayError(message, { code, status: 400 });`,
          `const worse = (message: string, code: string) => new GatewayError(message, { code: code, status: 400 });`,
          `throw bad('Bad.', 'x_wrong');`,
          `throw PErrors.create('from_table');`,
        ].join('\n'),
      ),
    },
  ];
  // A file whose only error is a table's create(): nothing else in it says "code" or "errors.".
  files.push({
    scope: 'q',
    file: write('plugins/q/src/only.ts', `throw QErrors.create('q_only', 'Raised by its own plugin.');\n`),
  });
  const tables = [
    {
      dir: 'core',
      file: 'core/src/errors/coreErrors.ts',
      table: defineErrors('core', { internal_error: { status: 500, message: 'm.', fix: 'f.' } }),
    },
    {
      dir: 'p',
      file: 'plugins/p/src/errors.ts',
      table: defineErrors('p', {
        x_wrong: { status: 400, message: 'm.', fix: 'f.' },
        from_table: { status: 400, message: 'm.', fix: 'f.' },
        never_raised: { status: 409, message: 'm.', fix: 'f.', sameAs: 'no_such_code' },
      }),
    },
    {
      dir: 'q',
      file: 'plugins/q/src/errors.ts',
      table: defineErrors('wrong-name', {
        q_only: { status: 400, message: 'm.', fix: 'f.' },
        x_wrong: { status: 400, message: 'm.', fix: 'f.' },
      }),
    },
  ];
  const problems = checkErrorTables(dir, tables, files);
  const has = (re: RegExp) =>
    assert.ok(
      problems.some((p) => re.test(p)),
      `expected a problem matching ${re}:\n${problems.join('\n')}`,
    );

  it('a raised code no table declares', () =>
    has(/routes\.ts:2 raises 'not_declared', which no error table declares; add it to plugins\/p\/src\/errors\.ts/));
  it("a shorthand's default code counts as raised", () =>
    has(/routes\.ts:3 raises 'not_found', which no error table declares/));
  it('a code of a helper with a `code` parameter counts as raised', () => has(/routes\.ts:8 raises 'helper_code'/));
  it('a table entry nothing raises', () => has(/'never_raised' in p's error table is raised nowhere/));
  it("another plugin's code", () => has(/routes\.ts:4 raises 'q_only' from q's table/));
  it('a status the table does not list', () =>
    has(/routes\.ts:5 raises 'x_wrong' with status 418, but its table says 400/));
  it('a code that is not a literal', () => has(/routes\.ts:6 raises a code that is not a literal \(someCode\)/));
  it('a code declared twice', () => has(/'x_wrong' is declared by both p and q/));
  it('a synonym of a code no table declares', () =>
    has(/'never_raised' in p's error table says it means the same as 'no_such_code'/));
  it('a table named unlike its plugin', () => has(/declares its table as 'wrong-name'; name it 'q'/));
  it("a helper passing its `code` parameter on is not a dynamic site; its callers' codes count", () => {
    assert.ok(!problems.some((p) => /routes\.ts:(9|10|11) /.test(p)), problems.join('\n'));
  });
  it("finds a table's create() in a file with no other error", () =>
    assert.ok(!problems.some((p) => p.includes("'q_only' in q's error table is raised only by")), problems.join('\n')));
  it("codes raised through a table's create() count as raised", () =>
    assert.ok(!problems.some((p) => p.includes("'from_table'")), problems.join('\n')));
});
