import { errors, type GatewayContext, type PluginRouter, CoreErrors } from '@aihub/core/plugin-api';
import type { Asset } from './assets';
import type { ConsoleConfig } from './config';
import { consoleCsp, newNonce } from './indexPage';

/** What the routes serve, filled by the plugin's start (routes are collected before it runs). */
export interface ConsoleSite {
  assets?: Map<string, Asset>;
  index?: (nonce: string) => string;
}

const IMMUTABLE = 'public, max-age=31536000, immutable';
/** Unhashed files (favicon, translations): cache, but revalidate (ETag) so a new release shows. */
const REVALIDATE = 'no-cache';

function pickEncoding(ctx: GatewayContext, asset: Asset): { body: Buffer; encoding?: string } {
  const accept = String(ctx.get('accept-encoding'));
  if (asset.br && /\bbr\b/.test(accept)) return { body: asset.br, encoding: 'br' };
  if (asset.gzip && /\bgzip\b/.test(accept)) return { body: asset.gzip, encoding: 'gzip' };
  return { body: asset.body };
}

function sendAsset(ctx: GatewayContext, asset: Asset): void {
  ctx.set('cache-control', asset.immutable ? IMMUTABLE : REVALIDATE);
  ctx.set('etag', asset.etag);
  ctx.set('vary', 'accept-encoding');
  // Static files are not pages: the kernel's data-only policy fits them; no referrer either way.
  if (ctx.get('if-none-match') === asset.etag) {
    ctx.status = 304;
    return;
  }
  const { body, encoding } = pickEncoding(ctx, asset);
  if (encoding) ctx.set('content-encoding', encoding);
  ctx.type = asset.type;
  ctx.body = body;
}

function sendIndex(ctx: GatewayContext, site: ConsoleSite): void {
  const nonce = newNonce();
  ctx.set('cache-control', 'no-store');
  ctx.set('content-security-policy', consoleCsp(nonce));
  ctx.set('x-frame-options', 'DENY');
  ctx.set('referrer-policy', 'no-referrer');
  ctx.type = 'text/html; charset=utf-8';
  ctx.body = site.index!(nonce);
}

/**
 * GET <basePath>… : a file of the built app, or index.html for any other path without a file
 * extension (the app's client-side routes: deep links and reloads work). Paths under /admin/v1
 * never reach the app: they are the API's, and an unknown one stays a problem+json 404.
 */
export function consoleRoutes(router: PluginRouter, cfg: ConsoleConfig, site: () => ConsoleSite): void {
  const base = cfg.basePath;
  const options = {
    auth: 'none' as const,
    pipeline: false,
    body: 'none' as const,
    summary: 'The admin console (static app)',
  };

  const handler = async (ctx: GatewayContext): Promise<void> => {
    if (ctx.path === '/admin/v1' || ctx.path.startsWith('/admin/v1/')) {
      throw CoreErrors.create(
        'route_not_found',
        `No route for ${ctx.method} ${ctx.path}; the admin API is described at /admin/v1/openapi.json.`,
      );
    }
    const s = site();
    if (!s.assets || !s.index)
      throw errors.unavailable('The console is starting; try again in a moment.', 'console_starting');
    let rel: string;
    try {
      rel = decodeURIComponent(ctx.path.slice(base.length));
    } catch {
      throw errors.badRequest('The URL is not valid percent-encoding.', 'invalid_path');
    }
    if (rel === '' || rel === 'index.html') return sendIndex(ctx, s);
    const asset = rel.includes('..') ? undefined : s.assets.get(rel);
    if (asset) return sendAsset(ctx, asset);
    // A missing file (it has an extension) is a 404; anything else is a route of the app.
    if (/\.[A-Za-z0-9]{1,8}$/.test(rel))
      throw errors.notFound(
        `No console file ${rel}; reload the console (a new version may have been deployed).`,
        'console_file_not_found',
      );
    sendIndex(ctx, s);
  };

  router.get(base, handler, options);
  router.get(`${base}*path`, handler, options);
  // `/admin` → `/admin/`: relative asset URLs resolve against the base href only with the slash.
  router.get(
    base.slice(0, -1),
    async (ctx) => {
      ctx.status = 308;
      ctx.redirect(`${cfg.apiBase}${base}`.replace(/^\/\//, '/'));
    },
    { ...options, summary: 'Redirect to the console' },
  );
}
