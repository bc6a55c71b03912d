import { InjectionToken } from '@angular/core';

/**
 * What the console plugin tells the app about where it runs, through
 * `<meta name="aihub-console" content="{json}">` in index.html (a meta tag, not an inline script,
 * so the CSP needs no exception).
 */
export interface ConsoleConfig {
  /** The first-party OAuth client registered by the console plugin. */
  clientId: string;
  /** Prefix of the gateway's routes as the browser sees them ('' at the origin's root, '/gw' behind a proxy). */
  apiBase: string;
  /** The console's base path, with a trailing slash (e.g. '/admin/'). */
  basePath: string;
  /** Link template to a request's trace, with `{traceId}` (console.traceUrl); null: no trace links. */
  traceUrl?: string | null;
}

export const CONSOLE_CONFIG = new InjectionToken<ConsoleConfig>('CONSOLE_CONFIG');

/** Reads the meta tag; `ng serve` (no plugin in front) falls back to the defaults. */
export function readConsoleConfig(doc: Document = document): ConsoleConfig {
  const fallback: ConsoleConfig = { clientId: 'aihub-console', apiBase: '', basePath: '/admin/' };
  const raw = doc.querySelector('meta[name="aihub-console"]')?.getAttribute('content');
  if (!raw) return fallback;
  try {
    const parsed = JSON.parse(raw) as Partial<ConsoleConfig>;
    return {
      clientId: typeof parsed.clientId === 'string' ? parsed.clientId : fallback.clientId,
      apiBase: typeof parsed.apiBase === 'string' ? parsed.apiBase.replace(/\/$/, '') : fallback.apiBase,
      basePath: typeof parsed.basePath === 'string' ? parsed.basePath : fallback.basePath,
      traceUrl: typeof parsed.traceUrl === 'string' && parsed.traceUrl.includes('{traceId}') ? parsed.traceUrl : null,
    };
  } catch {
    return fallback;
  }
}
