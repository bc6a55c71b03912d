import { readFileSync } from 'node:fs';
import path from 'node:path';
import { definePlugin } from '@aihub/core/plugin-api';
import { FIRST_PARTY_CLIENTS } from '@aihub/plugin-auth';
import { loadAssets, resolveDistDir } from './assets';
import { consoleConfig, type ConsoleConfig } from './config';
import { renderIndex } from './indexPage';
import { consoleRoutes, type ConsoleSite } from './routes';

/** The API scopes the console's client may receive; the user's role decides what they allow. */
export const CONSOLE_SCOPES = ['admin:read', 'admin:write'];

/**
 * The other loopback name of a loopback origin (localhost ↔ 127.0.0.1, same scheme and port): a
 * console opened at http://127.0.0.1:<port> beside an issuer saying localhost. Derived from the
 * origin, so it follows the port actually configured (--port, server.port, AIHUB_PORT), which a
 * `${AIHUB_PORT:-8080}` in the config file cannot.
 */
function loopbackTwin(origin: string): string | undefined {
  const u = new URL(origin);
  const twin = u.hostname === 'localhost' ? '127.0.0.1' : u.hostname === '127.0.0.1' ? 'localhost' : undefined;
  if (!twin) return undefined;
  u.hostname = twin;
  return u.origin;
}

/** The redirect URIs of the console's client: one per origin the browser may use. */
export function redirectUris(cfg: ConsoleConfig, issuer: string): { redirect: string[]; logout: string[] } {
  const main = cfg.publicUrl ?? new URL(issuer).origin;
  const twin = loopbackTwin(main);
  const origins = new Set([main, ...(twin ? [twin] : []), ...cfg.extraOrigins]);
  const prefix = `${cfg.apiBase}${cfg.basePath}`;
  return {
    redirect: [...origins].map((o) => `${o}${prefix}callback`),
    logout: [...origins].map((o) => `${o}${prefix}signed-out`),
  };
}

/**
 * The admin console: serves the built Angular app (admin-ui) under `basePath` with a strict CSP,
 * long-cached hashed assets and an SPA fallback, and registers the console's first-party public
 * OAuth client (code + PKCE, refresh tokens) with the auth plugin's authorization server.
 */
export default definePlugin({
  apiVersion: 'aihub.plugin/v1',
  name: 'console',
  version: '0.1.0',
  core: '^0.1.0',
  description: 'The admin console (static Angular app) and its first-party OAuth client',
  dependsOn: ['auth'],
  config: consoleConfig,
  routePrefix: '',
  // `start` comes first: TypeScript infers `ctx.runtime` (the ConsoleSite) from what it returns.
  async start(ctx): Promise<ConsoleSite> {
    const cfg: ConsoleConfig = ctx.config;
    const dir = resolveDistDir(cfg.distDir);
    const assets = await loadAssets(dir);
    const index = renderIndex(readFileSync(path.join(dir, 'index.html'), 'utf8'), cfg);
    const clients = ctx.get(FIRST_PARTY_CLIENTS);
    const uris = redirectUris(cfg, clients.issuer);
    await clients.ensureFirstPartyClient({
      clientId: cfg.clientId,
      name: 'AI Hub console',
      redirectUris: uris.redirect,
      postLogoutRedirectUris: uris.logout,
      scopes: CONSOLE_SCOPES,
    });
    ctx.logger.info(`console: serving ${assets.size} files from ${dir} at ${cfg.basePath}`, {
      redirect_uris: uris.redirect,
    });
    return { assets, index };
  },
  routes(router, ctx) {
    consoleRoutes(router, ctx.config, () => ctx.runtime);
  },
  health: (ctx) => [
    {
      name: 'console',
      check: async () => {
        const s = ctx.runtime;
        if (!s.assets) throw new Error('console is starting');
        return { files: s.assets.size };
      },
    },
  ],
});

export { consoleConfig, type ConsoleConfig } from './config';
