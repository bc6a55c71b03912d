/**
 * Issue 13 finding 12: the first-start credentials go to a terminal, or once into a 0600 file in
 * the data directory, never into the log stream.
 */
import assert from 'node:assert/strict';
import { mkdtemp, readFile, rm, stat } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { describe, it } from 'node:test';
import { credentialsSink, printBootstrap } from './bootstrap';

const result = {
  status: 'created' as const,
  email: 'ops@example.com',
  password: 'pw-secret-123456789',
  tenantId: 't1',
  key: 'ahk_abcdefabcdef_' + 'K'.repeat(43),
  keyId: 'abcdefabcdef',
};

describe('bootstrap credentials banner', () => {
  it('without a terminal: written once to a 0600 file in the data dir; the log names the file, not the secrets', async () => {
    const dir = await mkdtemp(path.join(os.tmpdir(), 'aihub-boot-'));
    const logged: string[] = [];
    try {
      const sink = credentialsSink({
        dataDir: dir,
        isTty: false,
        logger: { warn: (m, meta) => logged.push(m + JSON.stringify(meta)) },
      });
      printBootstrap(result, 'http://localhost:8080', sink.write);
      const text = await readFile(sink.file!, 'utf8');
      assert.match(text, /pw-secret-123456789/);
      assert.match(text, /KKKKKKKK/);
      assert.equal((await stat(sink.file!)).mode & 0o777, 0o600);
      assert.equal(logged.length, 1);
      assert.match(logged[0], /bootstrap-credentials-[0-9TZ-]+\.txt/);
      assert.doesNotMatch(logged.join(''), /pw-secret|KKKKKKKK/);
      // Never overwritten by a second banner.
      assert.throws(() => sink.write('again'));
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  it('on a terminal: to the terminal writer only', () => {
    let shown = '';
    const logged: string[] = [];
    const sink = credentialsSink({
      dataDir: '/nonexistent',
      isTty: true,
      terminal: (s) => (shown += s),
      logger: { warn: (m) => logged.push(m) },
    });
    printBootstrap(result, 'http://localhost:8080', sink.write);
    assert.match(shown, /pw-secret-123456789/);
    assert.equal(sink.file, undefined);
    assert.equal(logged.length, 0);
  });
});
