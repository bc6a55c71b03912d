/**
 * `ctx.configOrigin` on a started kernel: a plugin reads which variable its value came from, and after
 * an applied config reload it answers for the new file; a refused reload leaves the old answer.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { z } from 'zod';
import { definePlugin, type PluginContext } from '../plugin-api';
import { Kernel } from '../kernel/Kernel';
import { createLogger } from '../services/createLogger';

let seen: PluginContext | undefined;
/** What ctx.configOrigin said while the plugin's reload ran (a catalog built there names variables). */
let duringReload: unknown;
const keyed = definePlugin({
  apiVersion: 'aihub.plugin/v1',
  name: 'keyed',
  version: '0.0.0',
  core: '^0.1.0',
  config: z.object({ upstream: z.object({ key: z.string() }).strict(), extra: z.string().default('') }).strict(),
  reloadable: ['upstream'],
  reload(ctx, next) {
    duringReload = ctx.configOrigin('upstream.key');
    if (next.upstream.key === 'refuse') throw new Error('refused');
  },
  start(ctx) {
    seen = ctx;
  },
});

const yaml = (keyRef: string, extra = '') => `server: { host: 127.0.0.1, port: 0 }
database: { url: "sqlite::memory:" }
plugins:
  - name: keyed
    config:
      upstream: { key: "${keyRef}" }
${extra}`;

describe('ctx.configOrigin on a started kernel', () => {
  let dir: string;
  let file: string;
  let kernel: Kernel;
  before(async () => {
    dir = mkdtempSync(path.join(tmpdir(), 'aihub-origin-'));
    file = path.join(dir, 'aihub.yaml');
    writeFileSync(file, yaml('${FIRST_KEY:-}'));
    const logger = createLogger({ level: 'error', format: 'json', silent: true });
    kernel = await Kernel.start({ file, definitions: [keyed], env: { SECOND_KEY: 'set' }, logger });
  });
  after(async () => {
    await kernel?.stop('test');
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it('names the variable relative to the plugin config; a literal value has none', () => {
    assert.deepEqual(seen!.configOrigin('upstream.key'), { vars: ['FIRST_KEY'], empty: ['FIRST_KEY'] });
    assert.deepEqual(seen!.configOrigin(['upstream', 'key']), { vars: ['FIRST_KEY'], empty: ['FIRST_KEY'] });
    assert.equal(seen!.configOrigin('extra'), undefined);
    assert.equal(seen!.configOrigin('plugins[0].config.upstream.key'), undefined, 'paths are relative');
  });

  it('an applied reload answers for the new file, even when the value itself did not change', async () => {
    writeFileSync(file, yaml('${SECOND_KEY:-}'));
    const changed = await kernel.reload();
    assert.equal(changed.outcome, 'applied');
    assert.deepEqual(seen!.configOrigin('upstream.key'), { vars: ['SECOND_KEY'], empty: [] });
    assert.deepEqual(duringReload, { vars: ['SECOND_KEY'], empty: [] }, 'the plugin reload already sees the new file');
    writeFileSync(file, yaml('${THIRD_KEY:-}'));
    assert.equal((await kernel.reload()).outcome, 'applied');
    // THIRD_KEY and FOURTH_KEY both unset: the config is equal (nothing to apply), the variable named is the file's.
    writeFileSync(file, yaml('${FOURTH_KEY:-}'));
    const same = await kernel.reload();
    assert.equal(same.outcome, 'unchanged');
    assert.deepEqual(seen!.configOrigin('upstream.key'), { vars: ['FOURTH_KEY'], empty: ['FOURTH_KEY'] });
  });

  it('a refused reload keeps the origins of the config in effect', async () => {
    writeFileSync(file, yaml('${FIFTH_KEY:-}', '      unknownKey: 1\n'));
    const refused = await kernel.reload();
    assert.equal(refused.outcome, 'invalid');
    assert.deepEqual(seen!.configOrigin('upstream.key')?.vars, ['FOURTH_KEY']);
    // Refused by the plugin itself: the file passed, the plugin keeps its config, and the origins too.
    writeFileSync(file, yaml('${REFUSING:-refuse}'));
    assert.equal((await kernel.reload()).outcome, 'invalid');
    assert.deepEqual(duringReload, { vars: ['REFUSING'], empty: ['REFUSING'] });
    assert.deepEqual(seen!.configOrigin('upstream.key')?.vars, ['FOURTH_KEY']);
  });
});
