/**
 * The security sweep's suite, run by test/e2e/security-sweep.test.ts (embedded default) and
 * test/e2e/security-sweep.pg.test.ts (PostgreSQL + Redis); see the former for what it checks.
 */
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import fc from 'fast-check';
import { generateApiKey } from '@aihub/plugin-auth';
import type { BackendKind } from '@aihub/core/testing';
import {
  createTenantFixture,
  send,
  startSecurityGateway,
  type SecurityGateway,
  type TenantFixture,
} from './security-gateway';
import {
  ODD_METHODS,
  V1_OPERATIONS,
  bodyFor,
  encode,
  operationsOf,
  pathValue,
  problemWith,
  queryFor,
  rawRequest,
  type Operation,
} from './security-sweep';

// A fixed seed by default, so `npm test` (and CI) runs the same cases every time and a failure is
// a regression, not luck; `AIHUB_SWEEP_SEED=random` explores new cases (the seed is printed), a
// number replays one.
const SEED_ENV = process.env.AIHUB_SWEEP_SEED ?? '20261207';
const SEED = SEED_ENV === 'random' ? randomBytes(4).readInt32LE(0) : Number(SEED_ENV);
const RUNS = Number(process.env.AIHUB_SWEEP_RUNS ?? 600);
const BATCH = 24;
const PARALLEL = 6;

type Caller = 'tenant-admin' | 'anonymous' | 'forged' | 'superadmin';

interface Case {
  op: Operation;
  caller: Caller;
  method: string;
  path: string;
  body: string | undefined;
  contentType: string | undefined;
  forgedToken: string;
}

interface Failure {
  seed: number;
  route: string;
  request: string;
  problem: string;
}

/** A forged credential: a well-formed random key, a malformed token or a JWT-looking string. */
const forgedToken = fc.oneof(
  fc.constant('').map(() => generateApiKey().key),
  fc.constantFrom(
    'ahk_',
    'ahk_x_y',
    'Bearer',
    'null',
    'eyJhbGciOiJub25lIn0.eyJzdWIiOiJ4In0.',
    'eyJ.eyJ.sig',
    'a'.repeat(5000),
    'ahk_' + 'A'.repeat(12) + '_' + 'b'.repeat(200),
    '\u00e9\u00e9',
  ),
  fc.string({ unit: fc.constantFrom('a', 'Z', '0', '_', '.', '-'), maxLength: 80 }),
);

/** Ids of the kind a path parameter names: [the caller's own, the other tenant's]. */
function idsFor(param: string, own: TenantFixture, other: TenantFixture, spareKeyId: string): [string[], string[]] {
  switch (param) {
    case 'tenantId':
      return [[own.id], [other.id]];
    case 'teamId':
      return [[own.teamId], [other.teamId]];
    case 'userId':
      return [[own.userId], [other.userId]];
    case 'id':
    case 'keyId':
      // Never the caller's own key: a DELETE of it would end the sweep's authentication.
      return [[spareKeyId], [other.adminKeyId]];
    case 'clientId':
      return [[own.oauthClientId], [other.oauthClientId]];
    case 'subjectId':
      return [
        [own.teamId, own.userId, spareKeyId],
        [other.teamId, other.userId, other.adminKeyId],
      ];
    case 'period':
      return [['2026-01', '2026-12'], ['2026-01']];
    case 'model':
      return [['gpt-4o-mini', 'text-embedding-3-small'], ['gpt-4o-mini']];
    default:
      return [[own.id], [other.id]];
  }
}

function caseArb(op: Operation, own: TenantFixture, other: TenantFixture, spareKeyId: string): fc.Arbitrary<Case> {
  const params = fc.tuple(...op.pathParams.map((p) => pathValue(...idsFor(p, own, other, spareKeyId))));
  return fc
    .record({
      caller: fc.constantFrom<Caller>(
        'tenant-admin',
        'tenant-admin',
        'tenant-admin',
        'anonymous',
        'forged',
        'superadmin',
      ),
      method: fc.oneof(
        { weight: 6, arbitrary: fc.constant(op.method) },
        { weight: 1, arbitrary: fc.constantFrom(...ODD_METHODS) },
      ),
      params: op.pathParams.length ? params : fc.constant([] as string[]),
      query: queryFor(op),
      body: bodyFor(op),
      forgedToken,
    })
    .map(({ caller, method, params, query, body, forgedToken }) => {
      let i = 0;
      const path = op.path.replace(/\{[^}]+\}/g, () => encode(params[i++] ?? ''));
      // The superadmin may delete anything; the sweep keeps both tenants alive to compare answers.
      const m = caller === 'superadmin' && method === 'DELETE' ? 'GET' : method;
      return {
        op,
        caller,
        method: m,
        path: `${path}${query}`,
        body: body.raw,
        contentType: body.contentType,
        forgedToken,
      };
    });
}

function headersFor(c: Case, sg: SecurityGateway, own: TenantFixture): Record<string, string> {
  const h: Record<string, string> = {};
  if (c.contentType !== undefined) h['content-type'] = c.contentType;
  if (c.caller === 'tenant-admin') h.authorization = `Bearer ${own.adminKey}`;
  else if (c.caller === 'superadmin') h.authorization = `Bearer ${sg.adminKey}`;
  else if (c.caller === 'forged') h.authorization = `Bearer ${c.forgedToken}`;
  return h;
}

/**
 * Values of the other tenant that the tenant admin has sent itself, or that the superadmin wrote
 * (into any tenant): an answer that repeats them later tells the tenant admin nothing it did not know.
 */
const knownToOwn = new Set<string>();

/** Sends cases PARALLEL at a time; returns what failed. */
async function runBatch(
  sg: SecurityGateway,
  own: TenantFixture,
  other: TenantFixture,
  cases: Case[],
): Promise<Failure[]> {
  const failures: Failure[] = [];
  let next = 0;
  const worker = async () => {
    while (next < cases.length) {
      const c = cases[next++];
      const headers = headersFor(c, sg, own);
      // What the tenant admin may never see: the other tenant's values. Anonymous and forged callers
      // may see neither tenant's; the superadmin may see both.
      const sent = `${c.path} ${c.body ?? ''}`;
      if (c.caller === 'tenant-admin' || c.caller === 'superadmin')
        for (const v of other.secrets) if (sent.includes(v)) knownToOwn.add(v);
      const forbidden =
        c.caller === 'superadmin'
          ? []
          : c.caller === 'tenant-admin'
            ? other.secrets.filter((v) => !knownToOwn.has(v))
            : [...own.secrets, ...other.secrets];
      const request = `${c.method} ${c.path.slice(0, 300)} as ${c.caller} content-type=${JSON.stringify(c.contentType)} body=${JSON.stringify(c.body?.slice(0, 200))}`;
      try {
        const answer = await rawRequest(sg.gw.url, c.method, c.path, headers, c.body);
        const problem = problemWith(answer, { method: c.method, path: c.path, sent }, forbidden, {
          headerLimit: 'skip',
        });
        if (problem) failures.push({ seed: SEED, route: `${c.op.method} ${c.op.path}`, request, problem });
      } catch (err) {
        failures.push({
          seed: SEED,
          route: `${c.op.method} ${c.op.path}`,
          request,
          problem: `no answer: ${(err as Error).message}`,
        });
      }
    }
  };
  await Promise.all(Array.from({ length: PARALLEL }, worker));
  return failures;
}

/** Failures grouped by route and kind of problem (a few examples each), with the seed to replay them. */
function report(failures: Failure[]): string {
  const groups = new Map<string, Failure[]>();
  for (const f of failures) {
    const kind = f.problem.replace(/request id [0-9a-f-]+/g, '').slice(0, 60);
    const method = f.request.split(' ')[0];
    // A method the route does not have fails the same way everywhere: one group per method.
    const key = f.route.startsWith(`${method} `) ? `${f.route}: ${kind}` : `${method} on any route: ${kind}`;
    groups.set(key, [...(groups.get(key) ?? []), f]);
  }
  const lines = [
    `${failures.length} failing requests in ${groups.size} groups (seed ${SEED}; replay with AIHUB_SWEEP_SEED=${SEED}):`,
  ];
  for (const [key, list] of groups) {
    lines.push(`  ${key} (${list.length}×)`);
    for (const f of list.slice(0, 2)) lines.push(`    ${f.request}\n      → ${f.problem.slice(0, 400)}`);
  }
  return lines.join('\n');
}

/**
 * Requests from issue 13 that answered 5xx on the main of the time, and what the sweep found since:
 * they run on every backend before the random sweep, so a regression shows as its own failure.
 * Fixes: HTTP edge (odd methods, over-long request lines), usage (empty group_by).
 */
function knownProbes(own: TenantFixture): { method: string; path: string; body?: string }[] {
  const probes: { method: string; path: string; body?: string }[] = [];
  for (const method of ['TRACE', 'PROPFIND', 'MKCOL', 'LOCK', 'SEARCH', 'PURGE', 'LINK']) {
    for (const path of [
      '/v1/models',
      '/v1/chat/completions',
      '/admin/v1/me',
      `/admin/v1/tenants/${own.id}`,
      '/health/live',
      '/',
    ])
      probes.push({ method, path });
  }
  probes.push({ method: 'GET', path: `/admin/v1/tenants/${own.id}/usage?group_by=` });
  probes.push({ method: 'GET', path: `/admin/v1/tenants/${own.id}/usage?group_by=,` });
  probes.push({ method: 'GET', path: `/admin/v1/tenants/${own.id}/usage/export.csv?granularity=` });
  // A request line over Node's 16 KiB header limit: answered before any route, still in format.
  probes.push({ method: 'GET', path: `/admin/v1/me?${'a'.repeat(20_000)}=1` });
  probes.push({ method: 'GET', path: `/v1/models?${'a'.repeat(20_000)}=1` });
  return probes;
}

/** The sweep's tests against one backend (one test file per backend, each with its own timeout). */
export function sweepSuite(kind: BackendKind): void {
  describe(
    `security sweep on ${kind === 'embedded' ? 'the embedded default (SQLite)' : 'PostgreSQL + Redis'}`,
    { timeout: 120_000 },
    () => {
      let sg: SecurityGateway;
      let a: TenantFixture;
      let b: TenantFixture;
      let spareKeyId: string;
      let operations: Operation[];

      before(async () => {
        sg = await startSecurityGateway(kind);
        a = await createTenantFixture(sg, 'alpha');
        b = await createTenantFixture(sg, 'beta');
        const spare = await send(sg.gw, 'POST', `/admin/v1/tenants/${a.id}/api-keys`, {
          key: sg.adminKey,
          body: { name: 'spare', scopes: ['ai:invoke'] },
        });
        assert.equal(spare.status, 201, spare.text);
        spareKeyId = spare.body.id as string;
        // Something for the usage, audit and analytics routes to read, in both tenants.
        for (const t of [a, b]) {
          const chat = await send(sg.gw, 'POST', '/v1/chat/completions', {
            key: t.adminKey,
            body: { model: 'gpt-4o-mini', messages: [{ role: 'user', content: 'hi' }] },
          });
          assert.equal(chat.status, 200, chat.text);
          const track = await send(sg.gw, 'POST', '/v1/track', {
            key: t.adminKey,
            body: { userId: `u-${t.slug}`, event: 'Signed Up', properties: { plan: 'pro' } },
          });
          assert.ok(track.status < 300, track.text);
        }
        const doc = await send(sg.gw, 'GET', '/admin/v1/openapi.json');
        assert.equal(doc.status, 200);
        operations = [...operationsOf(doc.body), ...V1_OPERATIONS];
      });

      after(async () => {
        await sg?.stop();
      });

      it('knows every /v1 route it attacks (each answers the tenant admin, not 404)', async () => {
        for (const op of V1_OPERATIONS) {
          const path = op.path.replace('{model}', 'gpt-4o-mini');
          const res = await send(sg.gw, op.method, path, {
            key: a.adminKey,
            ...(op.method === 'POST' ? { body: {} } : {}),
          });
          assert.notEqual(res.status, 404, `${op.method} ${path} answered 404: the sweep's /v1 list is out of date`);
        }
        assert.ok(
          operations.length > 60,
          `the OpenAPI document lists ${operations.length - V1_OPERATIONS.length} operations`,
        );
      });

      it('answers the 5xx probes of issue 13 with 4xx in the right format', async () => {
        const failures: Failure[] = [];
        for (const p of knownProbes(a)) {
          const answer = await rawRequest(
            sg.gw.url,
            p.method,
            p.path,
            { authorization: `Bearer ${a.adminKey}` },
            p.body,
          );
          const problem = problemWith(answer, { method: p.method, path: p.path, sent: p.path }, b.secrets);
          if (problem)
            failures.push({
              seed: SEED,
              route: `${p.method} ${p.path.split('?')[0]}`,
              request: `${p.method} ${p.path.slice(0, 200)}`,
              problem,
            });
        }
        assert.equal((await sg.gw.fetch('/health/live')).status, 200);
        assert.ok(failures.length === 0, report(failures));
      });

      it(`answers malformed requests on every route without 5xx, in format, without the other tenant's data (${RUNS} requests)`, async (t) => {
        t.diagnostic(`seed ${SEED} (AIHUB_SWEEP_SEED=${SEED} replays it), ${operations.length} operations`);
        const perOp = Math.max(2, Math.ceil(RUNS / operations.length));
        const cases = operations.flatMap((op, i) =>
          fc.sample(caseArb(op, a, b, spareKeyId), { seed: SEED + i, numRuns: perOp }),
        );
        // Interleave operations so a batch mixes routes (and a slow route does not serialise a batch).
        const shuffled = fc.sample(fc.shuffledSubarray(cases, { minLength: cases.length, maxLength: cases.length }), {
          seed: SEED,
          numRuns: 1,
        })[0];
        const failures: Failure[] = [];
        const started = Date.now();
        for (let i = 0; i < shuffled.length; i += BATCH) {
          failures.push(...(await runBatch(sg, a, b, shuffled.slice(i, i + BATCH))));
          const live = await sg.gw.fetch('/health/live');
          assert.equal(
            live.status,
            200,
            `the gateway stopped answering /health/live after batch ${i / BATCH} (seed ${SEED})`,
          );
        }
        t.diagnostic(`${shuffled.length} requests in ${Date.now() - started} ms`);
        assert.ok(failures.length === 0, report(failures));
      });
    },
  );
}
