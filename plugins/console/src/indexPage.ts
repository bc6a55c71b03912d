import { randomBytes } from 'node:crypto';
import type { ConsoleConfig } from './config';

/** The escaped value of an HTML attribute. */
function attr(value: string): string {
  return value.replace(/&/g, '&amp;').replace(/"/g, '&quot;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
}

/**
 * index.html as served: the base href set to the configured base path, the app's settings in a
 * `<meta name="aihub-console">` tag (not an inline script: the CSP allows none), and a fresh CSP
 * nonce on `<app-root ngCspNonce>` for the styles Angular and Material insert at run time.
 */
export function renderIndex(
  template: string,
  cfg: Pick<ConsoleConfig, 'basePath' | 'apiBase' | 'clientId'> & Partial<Pick<ConsoleConfig, 'traceUrl'>>,
): (nonce: string) => string {
  const settings = {
    clientId: cfg.clientId,
    apiBase: cfg.apiBase,
    basePath: cfg.basePath,
    traceUrl: cfg.traceUrl ?? null,
  };
  const meta = `<meta name="aihub-console" content="${attr(JSON.stringify(settings))}">`;
  let html = template.replace(/<base href="[^"]*">/, `<base href="${attr(cfg.basePath)}">`);
  if (!html.includes('<base href=')) throw new Error('the console index.html has no <base href>');
  html = html.replace('</head>', `${meta}</head>`);
  const [before, after] = splitAt(html, '<app-root');
  return (nonce) => `${before}<app-root ngCspNonce="${nonce}"${after}`;
}

function splitAt(html: string, marker: string): [string, string] {
  const i = html.indexOf(marker);
  if (i < 0) throw new Error(`the console index.html has no ${marker}`);
  return [html.slice(0, i), html.slice(i + marker.length)];
}

export function newNonce(): string {
  return randomBytes(18).toString('base64');
}

/**
 * The console's Content-Security-Policy: scripts only from the gateway ('self', no inline script,
 * no eval); styles from 'self' plus the per-response nonce (Angular and Material insert <style>
 * elements at run time and pass the nonce on; no 'unsafe-inline'); API calls to the same origin.
 */
export function consoleCsp(nonce: string): string {
  return [
    "default-src 'none'",
    "script-src 'self'",
    `style-src 'self' 'nonce-${nonce}'`,
    "img-src 'self' data:",
    "font-src 'self' data:",
    "connect-src 'self'",
    "manifest-src 'self'",
    "base-uri 'self'",
    "form-action 'self'",
    "frame-ancestors 'none'",
  ].join('; ');
}
