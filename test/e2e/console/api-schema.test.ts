import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { test } from 'node:test';
import { SCHEMA_FILE, currentSchema } from '../../../scripts/console-api';

test('admin-ui/src/app/api/schema.d.ts matches the admin API (run `npm run console:api` after changing a route)', async () => {
  const committed = readFileSync(SCHEMA_FILE, 'utf8');
  const current = await currentSchema();
  if (committed !== current) {
    const a = committed.split('\n');
    const b = current.split('\n');
    const i = a.findIndex((line, n) => line !== b[n]);
    assert.fail(
      `schema.d.ts is stale: first difference at line ${i + 1}:\n  committed: ${a[i]}\n  current:   ${b[i]}\nRun \`npm run console:api\` and commit the file.`,
    );
  }
});
