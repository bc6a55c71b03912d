import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { describe, it } from 'node:test';
import { z } from 'zod';
import tenancy from './index';
import { tenancyConfig } from './config';

const README = path.resolve(__dirname, '../README.md');

/** Dotted paths of every leaf field of a zod object schema. */
function fields(schema: z.ZodObject, prefix = ''): string[] {
  const out: string[] = [];
  for (const [key, value] of Object.entries(schema.shape)) {
    let inner: unknown = value;
    while (inner instanceof z.ZodDefault || inner instanceof z.ZodPrefault || inner instanceof z.ZodOptional)
      inner = (inner as z.ZodDefault).unwrap();
    if (inner instanceof z.ZodObject) out.push(...fields(inner, `${prefix}${key}.`));
    else out.push(`${prefix}${key}`);
  }
  return out;
}

describe('README', () => {
  it('documents every config field and every route', async () => {
    const readme = await readFile(README, 'utf8');
    for (const f of fields(tenancyConfig)) assert.ok(readme.includes(`\`${f}\``), `README config table lacks \`${f}\``);
    const paths: string[] = [];
    const add = (p: string) => paths.push(p.replace(/:([A-Za-z]+)/g, '{$1}'));
    tenancy.routes?.({ get: add, post: add, put: add, patch: add, delete: add, all: add }, {} as never);
    assert.ok(paths.length >= 20);
    for (const p of paths) assert.ok(readme.includes(p), `README lacks ${p}`);
  });
});
