import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { aiConfig } from '../config';
import { CredentialSealer, maskSecret } from './crypto';
import { emptyOverlay, mergeOverlay } from './overlay';

const key = (n: number) => Buffer.alloc(32, n).toString('base64');
const catalog = (o: Record<string, unknown>) => aiConfig.parse({ catalog: o }).catalog;

describe('catalog credentials', () => {
  it('seals with the active key, opens after a rotation through previousKeys, refuses a tampered value', () => {
    const before = new CredentialSealer(catalog({ encryptionKey: key(1), encryptionKeyId: 'k1' }));
    const sealed = before.seal('sk-live-abcdefghijklmnop');
    assert.equal(sealed.kid, 'k1');
    assert.ok(!JSON.stringify(sealed).includes('abcdefghijklmnop'));
    const rotated = new CredentialSealer(
      catalog({ encryptionKey: key(2), encryptionKeyId: 'k2', previousKeys: { k1: key(1) } }),
    );
    assert.equal(rotated.open(sealed), 'sk-live-abcdefghijklmnop');
    assert.equal(rotated.seal('x').kid, 'k2');
    assert.equal(
      new CredentialSealer(catalog({ encryptionKey: key(2), encryptionKeyId: 'k2' })).open(sealed),
      undefined,
      'an unknown key id opens nothing',
    );
    const data = Buffer.from(sealed.data, 'base64');
    data[0] ^= 1;
    assert.equal(rotated.open({ ...sealed, data: data.toString('base64') }), undefined, 'GCM refuses a changed value');
    assert.equal(new CredentialSealer(catalog({})).canSeal, false);
  });

  it('masks a credential to its prefix and last four characters', () => {
    assert.equal(maskSecret('sk-proj-0123456789abcd'), 'sk-…abcd');
    assert.equal(maskSecret('AKIA0123456789WXYZ'), '…WXYZ');
    assert.equal(maskSecret('short'), '…');
  });

  it('rejects a key that is not 32 bytes of base64', () => {
    assert.equal(aiConfig.safeParse({ catalog: { encryptionKey: 'too-short' } }).success, false);
  });
});

describe('catalog overlay over the file', () => {
  const file = aiConfig.parse({
    providers: { mock: { type: 'mock' } },
    models: {
      a: { deployments: [{ provider: 'mock', model: 'a' }] },
      b: { deployments: [{ provider: 'mock', model: 'b' }], fallbacks: ['a'] },
    },
    experiments: [{ name: 'e1', alias: 'x', variants: [{ name: 'v1', model: 'a' }] }],
  });
  const sealer = new CredentialSealer(catalog({ encryptionKey: key(3) }));

  it('an API entry replaces the file entry of the same name and disables one; sources say which', () => {
    const overlay = emptyOverlay();
    overlay.models.a = { deployments: [{ provider: 'mock', model: 'a2' }] };
    overlay.models.c = { deployments: [{ provider: 'mock', model: 'c' }] };
    overlay.experiments.e1 = { disabled: true };
    const merged = mergeOverlay(file, overlay, sealer);
    assert.ok(merged.ok);
    assert.equal(merged.config.models.a.deployments[0].model, 'a2');
    assert.deepEqual(Object.keys(merged.config.models).sort(), ['a', 'b', 'c']);
    assert.deepEqual(merged.config.experiments, []);
    assert.deepEqual(merged.sources.models.a, { source: 'api', overridesFile: true, disabled: false });
    assert.deepEqual(merged.sources.models.b, { source: 'file', overridesFile: false, disabled: false });
    assert.deepEqual(merged.sources.experiments.e1, { source: 'api', overridesFile: true, disabled: true });
    assert.equal(file.models.a.deployments[0].model, 'a', 'the file config is not changed');
  });

  it('validates the whole result: disabling an alias another one falls back to is refused with the path', () => {
    const overlay = emptyOverlay();
    overlay.models.a = { disabled: true };
    const merged = mergeOverlay(file, overlay, sealer);
    assert.equal(merged.ok, false);
    assert.ok(
      !merged.ok && merged.issues.some((i) => i.path === 'models.b.fallbacks.0'),
      JSON.stringify(!merged.ok && merged.issues),
    );
  });

  it('opens a sealed provider credential into the effective config', () => {
    const overlay = emptyOverlay();
    overlay.providers.up = {
      type: 'openai',
      baseUrl: 'http://127.0.0.1:9/v1',
      apiKeySealed: sealer.seal('sk-secret-0123456789'),
      apiKeyMask: 'sk-…6789',
    };
    const merged = mergeOverlay(file, overlay, sealer);
    assert.ok(merged.ok);
    assert.equal(merged.config.providers.up.apiKey, 'sk-secret-0123456789');
    assert.deepEqual(merged.unreadable, []);
    const other = mergeOverlay(file, overlay, new CredentialSealer(catalog({ encryptionKey: key(4) })));
    assert.ok(other.ok);
    assert.deepEqual(other.unreadable, ['up']);
  });
});
