/**
 * Fuzzing the config loader (issue 13): random YAML text (anchors and alias bombs, tags, duplicate
 * keys, `${VAR}` forms, binary junk), random config-shaped structures and random environments go
 * through loadConfig and prepare. Each must end in a valid config or in problems that carry a known
 * code, a path and a sentence — prepare throws a StartupError and nothing else — and must not
 * pollute Object.prototype.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, describe, it } from 'node:test';
import fc from 'fast-check';
import { z } from 'zod';
import { prepare } from '../kernel/prepare';
import { definePlugin } from '../plugin-api';
import { loadConfig } from './loadConfig';
import { ProblemCode, StartupError, type Problem } from './problems';

const RUNS = Number(process.env.AIHUB_FUZZ_RUNS ?? 150);
/** AIHUB_FUZZ_SEED replays a failure's seed (fast-check prints it with the counterexample). */
const SEED = process.env.AIHUB_FUZZ_SEED === undefined ? {} : { seed: Number(process.env.AIHUB_FUZZ_SEED) };
const CODES = new Set<string>(Object.values(ProblemCode));
const dir = mkdtempSync(path.join(tmpdir(), 'aihub-config-fuzz-'));
after(() => rmSync(dir, { recursive: true, force: true }));

/** A plugin of the fuzz's own, so prepare validates plugin config without importing packages. */
const fuzzPlugin = definePlugin({
  apiVersion: 'aihub.plugin/v1',
  name: 'fuzz-plugin',
  version: '1.0.0',
  core: '*',
  config: z
    .object({
      max: z.number().int().min(0).default(1),
      name: z.string().optional(),
      nested: z.object({ on: z.boolean() }).strict().optional(),
    })
    .strict(),
});

function checkProblems(problems: Problem[], where: string): void {
  for (const p of problems) {
    assert.ok(CODES.has(p.code), `${where}: unknown problem code ${p.code}`);
    assert.equal(typeof p.path, 'string', `${where}: problem without a path`);
    assert.ok(typeof p.message === 'string' && p.message.length > 0, `${where}: problem without a message`);
  }
}

function assertNoPollution(): void {
  const probe = {} as Record<string, unknown>;
  for (const k of ['polluted', 'port', 'url', 'host', 'x', 'isAdmin'])
    assert.equal(probe[k], undefined, `Object.prototype.${k} was set`);
}

const NAMES = ['PORT', 'HOST', 'EMPTY', 'NUM', 'BOOL', 'NULLISH', 'UNSET', 'WEIRD', 'a', '_'];
const env = fc.dictionary(
  fc.constantFrom(
    ...NAMES,
    'AIHUB_PORT',
    'AIHUB__SERVER__BODY_LIMIT',
    'AIHUB__CONSTRUCTOR__PROTOTYPE__POLLUTED',
    'AIHUB____PROTO____POLLUTED',
    'AIHUB__SERVER',
    'DATABASE_URL',
    'OTEL_EXPORTER_OTLP_ENDPOINT',
    'OTEL_TRACES_SAMPLER_ARG',
  ),
  fc.oneof(
    fc.constantFrom(
      '',
      '8080',
      '-1',
      '1e309',
      'true',
      'null',
      '~',
      '0x10',
      '${PORT}',
      '$${x}',
      '{}',
      '[]',
      'a\u0000b',
      '99999999999999999999',
      'postgres://u:p@h/db',
    ),
    fc.string({ maxLength: 20 }),
  ),
  { maxKeys: 6 },
);

const ref = fc.oneof(
  fc.constantFrom(...NAMES).map((n) => `\${${n}}`),
  fc.tuple(fc.constantFrom(...NAMES), fc.string({ maxLength: 8 })).map(([n, d]) => `\${${n}:-${d}}`),
  fc.constantFrom(
    '${',
    '${}',
    '${1X}',
    '$${PORT}',
    '${PORT:-}',
    '${PORT:-${HOST}}',
    '${PORT}}',
    'x${PORT}y${HOST}',
    '${ PORT }',
    '${PORT:?err}',
    '${__proto__}',
  ),
);
const scalar = fc.oneof(
  ref,
  fc.string({ maxLength: 16 }),
  fc.integer(),
  fc.double(),
  fc.boolean(),
  fc.constant(null),
  fc.constantFrom(1e308, -0, 2 ** 53 + 1, '4mb', '1gb', '-1kb', '10 mb', 'NaN'),
);

/** Config-shaped values: known sections and keys with random values, unknown keys, wrong kinds. */
const section = (keys: string[]) =>
  fc.dictionary(
    fc.oneof(fc.constantFrom(...keys), fc.string({ maxLength: 8 })),
    fc.oneof({ weight: 4, arbitrary: scalar }, { weight: 1, arbitrary: fc.jsonValue({ maxDepth: 2 }) }),
    { maxKeys: 4 },
  );
const pluginEntry = fc.record(
  {
    name: fc.oneof(
      fc.constantFrom('fuzz-plugin', 'fuzz-plugin', 'Not-Kebab', '', 'no-such-plugin-xyz', '__proto__'),
      ref,
    ),
    package: fc.constantFrom('no-such-package-xyz', './missing-plugin.js', 'node:path', 'semver'),
    enabled: fc.oneof(fc.boolean(), scalar),
    config: fc.oneof(section(['max', 'name', 'nested']), scalar, fc.constant({ nested: { on: 'yes' } })),
  },
  { requiredKeys: ['name'] },
);
const structure = fc.dictionary(
  fc.oneof(
    fc.constantFrom(
      'server',
      'database',
      'redis',
      'logging',
      'telemetry',
      'pipeline',
      'queue',
      'dataDir',
      'plugins',
      '__proto__',
      'constructor',
    ),
    fc.string({ maxLength: 8 }),
  ),
  fc.oneof(
    section([
      'host',
      'port',
      'bodyLimit',
      'url',
      'migrate',
      'level',
      'format',
      'keyPrefix',
      'shutdownTimeoutMs',
      'trustProxy',
      'requestTimeoutMs',
      'serviceName',
      'tracing',
      'metrics',
      'order',
    ]),
    fc.array(pluginEntry, { maxLength: 3 }),
    scalar,
  ),
  { maxKeys: 6 },
);

/** YAML text: config-like lines, anchors and alias bombs, tags, duplicate keys, tabs, junk. */
const yamlLine = fc.oneof(
  fc.constantFrom(
    'server:',
    '  port: ${PORT}',
    '  port: 8080',
    '  host: ${HOST:-127.0.0.1}',
    '  bodyLimit: 4mb',
    'server: { port: 1, port: 2 }',
    'database: { url: "sqlite::memory:" }',
    'plugins:',
    '  - name: fuzz-plugin',
    '    config: { max: ${NUM} }',
    '  - name: fuzz-plugin',
    '    config: { max: -1 }',
    '- just a list item',
    'a: &a [x, x, x, x, x, x, x, x, x]',
    'b: &b [*a, *a, *a, *a, *a, *a, *a, *a, *a]',
    'c: &c [*b, *b, *b, *b, *b, *b, *b, *b, *b]',
    'd: [*c, *c, *c, *c, *c, *c, *c, *c, *c]',
    'e: *undefined_anchor',
    'f: !!binary aGVsbG8=',
    'g: !!js/function "function(){}"',
    'h: !custom tag',
    '<<: { server: { port: 1 } }',
    '? [complex, key]',
    ': value',
    '\tserver: tabbed',
    '%YAML 1.1',
    '---',
    '...',
    'x: "unterminated',
    "y: 'a''b'",
    'z: |',
    '  block ${PORT}',
    '__proto__: { polluted: 1 }',
    'constructor: { prototype: { polluted: 1 } }',
    'n: 0x1F',
    'o: 1e309',
    'p: .inf',
    'q: ~',
    'r: 2026-01-01',
    's: [1, 2',
    '\u0000',
    '\ufeffserver: {}',
  ),
  fc.string({ maxLength: 30 }),
  fc
    .tuple(fc.constantFrom('server', 'redis', 'logging', 'x'), scalar)
    .map(([k, v]) => `${k}: ${typeof v === 'string' ? JSON.stringify(v) : String(v)}`),
);
const yamlText = fc.array(yamlLine, { maxLength: 14 }).map((lines) => lines.join('\n'));

describe('config loader fuzz', () => {
  it('loadConfig: random YAML files end in a config or in coded problems, never a throw', async () => {
    let i = 0;
    await fc.assert(
      fc.asyncProperty(yamlText, env, async (text, e) => {
        const file = path.join(dir, `c${i++}.yaml`);
        writeFileSync(file, text);
        const { loaded, problems } = await loadConfig({ file, env: e });
        checkProblems(problems, text);
        if (!loaded) assert.ok(problems.length > 0, 'no config and no problem');
        assertNoPollution();
      }),
      { numRuns: RUNS, ...SEED },
    );
  });

  it('loadConfig: random structures and environments end in a config or in coded problems', async () => {
    await fc.assert(
      fc.asyncProperty(structure, env, async (inline, e) => {
        const { loaded, problems } = await loadConfig({ inline, env: e });
        checkProblems(problems, JSON.stringify(inline));
        if (!loaded) assert.ok(problems.length > 0, 'no config and no problem');
        assertNoPollution();
      }),
      { numRuns: RUNS, ...SEED },
    );
  });

  it('prepare: a StartupError with coded problems or a prepared gateway, nothing else', async () => {
    await fc.assert(
      fc.asyncProperty(fc.oneof(structure, yamlText), env, async (input, e) => {
        const options =
          typeof input === 'string'
            ? { file: path.join(dir, 'p.yaml'), env: e, definitions: [fuzzPlugin] }
            : { inline: input, env: e, definitions: [fuzzPlugin] };
        if (typeof input === 'string') writeFileSync(options.file!, input);
        try {
          const prepared = await prepare(options);
          assert.ok(prepared.config.server.port >= 0);
        } catch (err) {
          assert.ok(err instanceof StartupError, `prepare threw ${(err as Error)?.stack ?? String(err)}`);
          assert.ok(err.problems.length > 0);
          checkProblems(err.problems, JSON.stringify(input));
        }
        assertNoPollution();
      }),
      { numRuns: RUNS, ...SEED },
    );
  });

  it('a scalar or a list at the top of the file is a coded problem, also with env overrides', async () => {
    for (const text of ['(', '- a\n- b', '42']) {
      const file = path.join(dir, 'top.yaml');
      writeFileSync(file, text);
      const { loaded, problems } = await loadConfig({ file, env: { AIHUB_PORT: '1', AIHUB__SERVER__HOST: 'x' } });
      assert.equal(loaded, undefined);
      assert.equal(problems[0]?.code, ProblemCode.CONFIG_INVALID, text);
    }
  });

  it('${__proto__} and ${constructor} are unset variables, never the prototype (found by this fuzz, seed -445580613)', async () => {
    for (const name of ['__proto__', 'constructor', 'toString']) {
      const inline = { database: `\${${name}}`, redis: { url: `\${${name}:-redis://127.0.0.1:6379}` } };
      const { loaded, problems } = await loadConfig({ inline, env: {} });
      assert.equal(loaded, undefined, name);
      assert.ok(
        problems.some((p) => p.code === ProblemCode.CONFIG_ENV_MISSING && p.message.includes(name)),
        JSON.stringify(problems),
      );
      // The overrides used to land on Object.prototype through the reference.
      await loadConfig({ inline, env: { DATABASE_URL: 'polluted', REDIS_URL: 'polluted' } });
      assertNoPollution();
    }
  });

  it('an alias bomb is a coded problem, not a crash', async () => {
    const file = path.join(dir, 'bomb.yaml');
    const levels = ['a: &a [x, x, x, x, x, x, x, x, x, x]'];
    for (let l = 1; l < 9; l++)
      levels.push(
        `${String.fromCharCode(97 + l)}: &${String.fromCharCode(97 + l)} [${Array(10)
          .fill(`*${String.fromCharCode(96 + l)}`)
          .join(', ')}]`,
      );
    writeFileSync(file, levels.join('\n'));
    const { loaded, problems } = await loadConfig({ file, env: {} });
    assert.equal(loaded, undefined);
    assert.equal(problems[0]?.code, ProblemCode.CONFIG_PARSE);
  });
});
