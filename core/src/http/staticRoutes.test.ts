import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import Router from '@koa/router';
import type { GatewayMiddleware } from '../kernel/types';
import { staticRouteTable } from './staticRoutes';

const chain = (): GatewayMiddleware => () => undefined;

describe('staticRouteTable', () => {
  it('takes parameterless routes (GET also as HEAD) and leaves parameter and ALL routes to the router', () => {
    const router = new Router();
    const routes = [
      { method: 'POST', path: '/v1/chat/completions', chain: chain() },
      { method: 'GET', path: '/v1/models', chain: chain() },
      { method: 'GET', path: '/v1/models/:model', chain: chain() },
      { method: 'ALL', path: '/oauth/token', chain: chain() },
    ];
    for (const r of routes)
      router[r.method === 'ALL' ? 'all' : (r.method.toLowerCase() as 'get')](r.path, r.chain as never);
    const table = staticRouteTable(router, routes);
    assert.deepEqual([...table.keys()].sort(), ['GET /v1/models', 'HEAD /v1/models', 'POST /v1/chat/completions']);
    assert.equal(table.get('GET /v1/models')?.chain, routes[1].chain);
    assert.equal(table.get('GET /v1/models')?.pattern, '/v1/models');
  });

  it('leaves out a route the router would not run first (an earlier parameter route matches the same path)', () => {
    const router = new Router();
    const routes = [
      { method: 'GET', path: '/admin/v1/tenants/:id', chain: chain() },
      { method: 'GET', path: '/admin/v1/tenants/export', chain: chain() },
    ];
    for (const r of routes) router.get(r.path, r.chain as never);
    assert.equal(staticRouteTable(router, routes).size, 0);
  });
});
