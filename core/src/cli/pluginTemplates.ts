import { z } from 'zod';
import { configTable } from '../config/configTable';
import { PLUGIN_API_VERSION } from '../kernel/types';
import { CORE_VERSION } from '../version';

/** Longest `?name=` the scaffold's route accepts (its error table's one entry). */
const MAX_NAME = 64;

/** Which test runner the scaffold's test and `npm test` use. */
export type TestRunner = 'node' | 'jest';

/** What the templates are filled with. */
export interface TemplateInput {
  /** The npm package name (`aihub-plugin-stamp`, `@acme/aihub-plugin-stamp`). */
  packageName: string;
  /** The plugin's kebab-case name (`stamp`): what operators write as `- name:` in aihub.yaml. */
  pluginName: string;
  runner: TestRunner;
}

/**
 * Versions the scaffold's package.json asks for: the ones this repository builds and tests with, so a
 * fresh plugin compiles and its test passes exactly as the example plugin's do here.
 */
const VERSIONS = {
  zod: '^4.1.0',
  typescript: '^5.9.3',
  typesNode: '^20.19.0',
  tsx: '^4.20.0',
  jest: '^30.5.2',
  jestGlobals: '^30.5.2',
  swcCore: '^1.16.22',
  swcJest: '^0.2.39',
};

/**
 * The scaffold's config schema, the same as the `src/config.ts` written below: the README's table is
 * generated from it at scaffold time (the plugin is not built yet). `aihub plugin readme` regenerates
 * the table from the built plugin once the author changes the schema; a test checks both agree.
 */
export function scaffoldConfigSchema(pluginName: string): z.ZodType {
  return z
    .object({
      greeting: z
        .string()
        .min(1)
        .default('Hello from AI Hub')
        .describe(`What GET /plugins/${pluginName}/hello answers`),
      header: z
        .string()
        .regex(/^[a-z0-9-]+$/i)
        .default(`x-${pluginName}`)
        .describe('Response header stamped with the plugin version on every answer'),
    })
    .strict();
}

/** `acme-stamp` → `acmeStamp`: identifiers in the generated code. */
function camel(name: string): string {
  return name.replace(/-([a-z0-9])/g, (_, c: string) => c.toUpperCase());
}

/** Every file of a new plugin package, by path relative to its directory. */
export function pluginFiles(input: TemplateInput): Record<string, string> {
  const { packageName, pluginName, runner } = input;
  const id = camel(pluginName);
  const Type = id.charAt(0).toUpperCase() + id.slice(1);
  const description = `${pluginName}: an AI Hub plugin`;
  const json = (v: unknown) => `${JSON.stringify(v, null, 2)}\n`;

  const testDeps: Record<string, string> =
    runner === 'jest'
      ? {
          '@jest/globals': VERSIONS.jestGlobals,
          '@swc/core': VERSIONS.swcCore,
          '@swc/jest': VERSIONS.swcJest,
          jest: VERSIONS.jest,
        }
      : { tsx: VERSIONS.tsx };
  const files: Record<string, string> = {
    'package.json': json({
      name: packageName,
      version: '0.1.0',
      description,
      keywords: ['aihub-plugin'],
      main: 'dist/index.js',
      types: 'dist/index.d.ts',
      files: ['dist'],
      scripts: {
        build: 'tsc -p tsconfig.build.json',
        test: runner === 'jest' ? 'jest' : 'node --import tsx --test src/*.test.ts',
        readme: 'aihub plugin readme .',
        prepack: 'npm run build',
      },
      // The gateway's own @aihub/core and zod: a plugin must not bring a second copy.
      peerDependencies: { '@aihub/core': `^${CORE_VERSION}`, zod: VERSIONS.zod },
      devDependencies: {
        '@aihub/core': `^${CORE_VERSION}`,
        '@types/node': VERSIONS.typesNode,
        ...testDeps,
        typescript: VERSIONS.typescript,
        zod: VERSIONS.zod,
      },
    }),
    'tsconfig.json': json({
      compilerOptions: {
        target: 'ES2022',
        lib: ['ES2023'],
        // Node16 resolution honours package "exports" (`@aihub/core/plugin-api`); the output is CommonJS.
        module: 'Node16',
        moduleResolution: 'Node16',
        strict: true,
        esModuleInterop: true,
        skipLibCheck: true,
        declaration: true,
        sourceMap: true,
        isolatedModules: true,
        rootDir: 'src',
        outDir: 'dist',
        types: ['node'],
      },
      include: ['src'],
    }),
    'tsconfig.build.json': json({ extends: './tsconfig.json', exclude: ['src/**/*.test.ts'] }),
    '.gitignore': 'node_modules/\ndist/\n*.tgz\n',
    'src/config.ts': `import { z } from 'zod';

/**
 * The plugin's configuration (the \`config:\` of its entry in aihub.yaml). \`.strict()\` makes a typo an
 * error at start; every field is described because the README's table is generated from it
 * (\`npm run build && npm run readme\`).
 */
export const ${id}Config = z
  .object({
    greeting: z.string().min(1).default('Hello from AI Hub').describe('What GET /plugins/${pluginName}/hello answers'),
    header: z.string().regex(/^[a-z0-9-]+$/i).default('x-${pluginName}').describe('Response header stamped with the plugin version on every answer'),
  })
  .strict();

export type ${Type}Config = z.output<typeof ${id}Config>;
`,
    'src/hooks.ts': `import type { HookDefinition, PluginContext } from '@aihub/core/plugin-api';
import type { ${Type}Config } from './config';

/** The plugin's request pipeline hooks (docs/plugins.md lists the phases). */
export function ${id}Hooks(ctx: PluginContext<${Type}Config>): HookDefinition[] {
  return [
    {
      name: 'stamp',
      phase: 'response.transform',
      handle(c) {
        c.set(ctx.config.header, ctx.version);
      },
    },
  ];
}
`,
    'src/runtime.ts': `import type { PluginContext } from '@aihub/core/plugin-api';
import type { ${Type}Config } from './config';

/**
 * What the plugin builds at start: \`ctx.runtime\` in its hooks, routes, health checks and stop. Keep
 * the plugin's state here (clients, caches, counters), never in module variables: each gateway, two in
 * one test process too, has its own.
 */
export interface ${Type}Runtime {
  /** Greetings answered since start. */
  greeted: number;
}

/** The plugin's context with its runtime typed. */
export type ${Type}Context = PluginContext<${Type}Config, ${Type}Runtime>;

/** The plugin's \`start\`: open here what the runtime needs (pools, subscriptions), then return it. */
export async function start${Type}(ctx: PluginContext<${Type}Config>): Promise<${Type}Runtime> {
  ctx.logger.info('${pluginName} started', { header: ctx.config.header });
  return { greeted: 0 };
}
`,
    'src/errors.ts': `import { defineErrors } from '@aihub/core/plugin-api';

/**
 * Every error the plugin answers with, in one table: code (stable: clients match on it, never rename
 * one), HTTP status, what it means and what to do. Raise one with \`${Type}Errors.create(code, sentence)\`.
 */
export const ${Type}Errors = defineErrors('${pluginName}', {
  name_too_long: { status: 400, message: 'The name is longer than ${MAX_NAME} characters.', fix: 'Send a shorter name.' },
});
`,
    'src/routes.ts': `import type { PluginRouter } from '@aihub/core/plugin-api';
import { ${Type}Errors } from './errors';
import type { ${Type}Context } from './runtime';

/** The plugin's HTTP routes, mounted under /plugins/${pluginName}. */
export function ${id}Routes(router: PluginRouter, ctx: ${Type}Context): void {
  // auth: 'none' answers anyone; leave it out (the default, 'required') once the route needs a caller.
  router.get('/hello', (c) => {
    const name = typeof c.query.name === 'string' ? c.query.name : undefined;
    if (name && name.length > ${MAX_NAME}) {
      throw ${Type}Errors.create('name_too_long', \`The name is \${name.length} characters; send at most ${MAX_NAME}.\`, { param: 'name' });
    }
    // The runtime is read when a request comes: routes are declared before start has built it.
    ctx.runtime.greeted++;
    c.body = { greeting: name ? \`\${ctx.config.greeting}, \${name}\` : ctx.config.greeting };
  }, { auth: 'none', summary: 'Answers with the configured greeting (?name= to greet someone)' });
}
`,
    'src/index.ts': `import { definePlugin } from '@aihub/core/plugin-api';
import { ${id}Config } from './config';
import { ${id}Hooks } from './hooks';
import { ${id}Routes } from './routes';
import { start${Type} } from './runtime';

/** ${description}. Load it with \`- name: ${pluginName}\` and \`package:\` in aihub.yaml. */
export default definePlugin({
  apiVersion: '${PLUGIN_API_VERSION}',
  name: '${pluginName}',
  version: '0.1.0',
  core: '^${CORE_VERSION}',
  description: '${description}',
  config: ${id}Config,
  // What start returns is ctx.runtime in the hooks, routes and health checks (typed from it).
  start: start${Type},
  hooks: (ctx) => ${id}Hooks(ctx),
  routes: (router, ctx) => ${id}Routes(router, ctx),
  health: (ctx) => [{ name: '${pluginName}', check: async () => ({ greeted: ctx.runtime.greeted }) }],
});
`,
    [`src/${pluginName}.test.ts`]: runner === 'jest' ? jestTest(pluginName) : nodeTest(pluginName),
    'README.md': readme(input, description),
  };
  if (runner === 'jest') {
    files['jest.config.js'] =
      `// @aihub/core's preset: TypeScript through @swc/jest, ESM-only dependencies (jose, oidc-provider)
// compiled for Jest, a timeout that fits a test starting a real gateway.
/** @type {import('jest').Config} */
module.exports = {
  preset: '@aihub/core',
  roots: ['<rootDir>/src'],
};
`;
  }
  return files;
}

function nodeTest(pluginName: string): string {
  return `import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { startTestGateway, type TestGateway } from '@aihub/core/testing';
import plugin from './index';

// A real gateway on 127.0.0.1 with an in-memory SQLite database, this plugin loaded.
describe('${pluginName} plugin', () => {
  let gw: TestGateway;
  before(async () => {
    gw = await startTestGateway({ plugins: [plugin], pluginConfig: { '${pluginName}': { greeting: 'hi' } } });
  });
  after(() => gw.stop());

  it('answers GET /plugins/${pluginName}/hello with the configured greeting', async () => {
    const res = await gw.fetch('/plugins/${pluginName}/hello');
    assert.equal(res.status, 200);
    assert.deepEqual(await res.json(), { greeting: 'hi' });
  });

  it('stamps answers with its version', async () => {
    const res = await gw.fetch('/plugins/${pluginName}/hello');
    assert.equal(res.headers.get('x-${pluginName}'), '0.1.0');
  });

  it('answers a too long name with the code from its error table', async () => {
    const res = await gw.fetch(\`/plugins/${pluginName}/hello?name=\${'x'.repeat(${MAX_NAME + 1})}\`);
    assert.equal(res.status, 400);
    const body = (await res.json()) as { error: { code: string; param: string } };
    assert.equal(body.error.code, 'name_too_long');
    assert.equal(body.error.param, 'name');
  });

  it('refuses a config key it does not know, naming it', async () => {
    await assert.rejects(startTestGateway({ plugins: [plugin], pluginConfig: { '${pluginName}': { greting: 'hi' } } }), /AIHUB_E_CONFIG_UNKNOWN_KEY .*greting/);
  });
});
`;
}

function jestTest(pluginName: string): string {
  return `import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { startTestGateway, type TestGateway } from '@aihub/core/testing';
import plugin from './index';

// A real gateway on 127.0.0.1 with an in-memory SQLite database, this plugin loaded.
describe('${pluginName} plugin', () => {
  let gw: TestGateway;
  beforeAll(async () => {
    gw = await startTestGateway({ plugins: [plugin], pluginConfig: { '${pluginName}': { greeting: 'hi' } } });
  });
  afterAll(() => gw.stop());

  it('answers GET /plugins/${pluginName}/hello with the configured greeting', async () => {
    const res = await gw.fetch('/plugins/${pluginName}/hello');
    expect(res.status).toBe(200);
    expect(await res.json()).toStrictEqual({ greeting: 'hi' });
  });

  it('stamps answers with its version', async () => {
    const res = await gw.fetch('/plugins/${pluginName}/hello');
    expect(res.headers.get('x-${pluginName}')).toBe('0.1.0');
  });

  it('answers a too long name with the code from its error table', async () => {
    const res = await gw.fetch(\`/plugins/${pluginName}/hello?name=\${'x'.repeat(${MAX_NAME + 1})}\`);
    expect(res.status).toBe(400);
    expect(await res.json()).toMatchObject({ error: { code: 'name_too_long', param: 'name' } });
  });

  it('refuses a config key it does not know, naming it', async () => {
    await expect(startTestGateway({ plugins: [plugin], pluginConfig: { '${pluginName}': { greting: 'hi' } } })).rejects.toThrow(/AIHUB_E_CONFIG_UNKNOWN_KEY .*greting/);
  });
});
`;
}

function readme(input: TemplateInput, description: string): string {
  const { packageName, pluginName, runner } = input;
  return `# ${packageName}

${description}.

## Use it

Build it (\`npm install && npm run build\`), then list it in the gateway's \`aihub.yaml\`, either by path
(relative to the config file's directory) or, once installed with npm, by package name:

\`\`\`yaml
plugins:
  - name: ${pluginName}
    package: ../${packageName.split('/').pop()}   # or: package: ${packageName}
    config:
      greeting: Hello
\`\`\`

\`npx aihub config validate\` checks the entry without starting anything.

## Develop

- \`npm run build\` compiles \`src/\` to \`dist/\` (what the gateway loads: plain JavaScript).
- \`npm test\` runs \`src/*.test.ts\` under ${runner === 'jest' ? 'Jest' : "Node's test runner"} on a real gateway (\`startTestGateway\`).
- \`npm run readme\` regenerates the table below from the built plugin's config schema.

The AI Hub plugin guide (\`docs/plugins.md\`) covers the pipeline phases, routes, lifecycle hooks,
storage and the testing kit.

## Configuration reference

${configTable({ config: scaffoldConfigSchema(pluginName) }, 'aihub plugin readme')}
`;
}
