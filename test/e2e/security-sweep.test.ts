/**
 * The security sweep (issue 13): a real gateway with the production plugin chain, on the embedded
 * default and on PostgreSQL + Redis. Every operation of /admin/v1/openapi.json and every /v1 route
 * is sent property-based malformed requests (fast-check): path params that are the caller's own ids,
 * another tenant's ids or garbage; queries with unknown and duplicate keys, bracket syntax and bad
 * escapes; bodies of the declared shape with wrong or extreme values, or not JSON at all; odd methods
 * and content types. As a tenant admin, anonymously, with a forged bearer and as the superadmin,
 * every answer must be below 500, in the route family's error format (OpenAI's on /v1, RFC 9457 on
 * /admin), and free of the other tenant's ids and secrets; the process must answer /health/live
 * after every batch.
 *
 * This file runs the embedded default; security-sweep.pg.test.ts runs PostgreSQL + Redis.
 * Seeded: a failure prints the seed; `AIHUB_SWEEP_SEED=<n>` replays it, `AIHUB_SWEEP_RUNS=<n>` sets
 * the number of requests per backend (default 600).
 */
import { sweepSuite } from './support/security-sweep-suite';

sweepSuite('embedded');
