import type { ProviderContext } from './oidcTypes';

/** HTML-escapes text for element content and attribute values. */
export function escapeHtml(value: unknown): string {
  return String(value ?? '').replace(/[&<>"'`=/]/g, (c) => `&#${c.charCodeAt(0)};`);
}

const STYLE =
  'body{font:15px/1.5 system-ui,-apple-system,Segoe UI,Roboto,sans-serif;background:#f4f5f7;margin:0;display:flex;min-height:100vh;align-items:center;justify-content:center}' +
  'main{background:#fff;padding:32px 36px;border-radius:8px;box-shadow:0 1px 3px rgba(0,0,0,.15);width:320px}' +
  'h1{font-size:20px;margin:0 0 4px}p{color:#555;margin:0 0 16px}label{display:block;font-size:13px;margin:12px 0 4px;color:#333}' +
  'input{width:100%;box-sizing:border-box;padding:8px 10px;border:1px solid #c8ccd2;border-radius:4px;font-size:15px}' +
  'button{margin-top:20px;width:100%;padding:9px;border:0;border-radius:4px;background:#2457d6;color:#fff;font-size:15px;cursor:pointer}' +
  'button.secondary{background:#e6e8ec;color:#222;margin-top:8px}.error{background:#fdecea;color:#8a1c12;padding:8px 10px;border-radius:4px;margin:0 0 12px}' +
  'ul{padding-left:18px;color:#333}code{font-size:13px}';

/** The page shell: no external resources, no scripts. */
export function layout(title: string, body: string): string {
  return `<!DOCTYPE html><html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width,initial-scale=1"><meta name="robots" content="noindex"><title>${escapeHtml(title)}</title><style>${STYLE}</style></head><body><main>${body}</main></body></html>`;
}

export function loginPage(input: { action: string; clientName: string; email?: string; error?: string }): string {
  return layout(
    'Sign in · AI Hub',
    `<h1>Sign in</h1><p>to continue to <strong>${escapeHtml(input.clientName)}</strong></p>` +
      (input.error ? `<div class="error" role="alert">${escapeHtml(input.error)}</div>` : '') +
      `<form method="post" action="${escapeHtml(input.action)}" autocomplete="on">` +
      `<label for="email">E-mail</label><input id="email" name="email" type="email" autocomplete="username" required maxlength="254" value="${escapeHtml(input.email ?? '')}" autofocus>` +
      `<label for="password">Password</label><input id="password" name="password" type="password" autocomplete="current-password" required maxlength="1024">` +
      `<button type="submit">Sign in</button></form>`,
  );
}

export function consentPage(input: { action: string; clientName: string; scopes: string[]; tenant: string }): string {
  return layout(
    'Authorize · AI Hub',
    `<h1>Authorize ${escapeHtml(input.clientName)}</h1><p>It asks to act for you in tenant <strong>${escapeHtml(input.tenant)}</strong> with:</p>` +
      `<ul>${input.scopes.map((s) => `<li><code>${escapeHtml(s)}</code></li>`).join('')}</ul>` +
      `<form method="post" action="${escapeHtml(input.action)}"><button type="submit" name="decision" value="allow">Allow</button>` +
      `<button class="secondary" type="submit" name="decision" value="deny">Deny</button></form>`,
  );
}

/** Headers of every HTML page of the authorization server: no framing, no caching, no scripts. */
export function pageHeaders(ctx: { set(field: string, value: string): void }): void {
  ctx.set('cache-control', 'no-store');
  ctx.set('x-frame-options', 'DENY');
  ctx.set('x-content-type-options', 'nosniff');
  ctx.set('referrer-policy', 'no-referrer');
  ctx.set('content-security-policy', "default-src 'none'; style-src 'unsafe-inline'; frame-ancestors 'none'; base-uri 'none'");
}

/** oidc-provider `renderError`: the error code and description, escaped; nothing else. */
export async function renderErrorPage(ctx: ProviderContext, out: Record<string, unknown>): Promise<void> {
  pageHeaders(ctx);
  ctx.type = 'html';
  ctx.body = layout(
    'Sign-in error · AI Hub',
    `<h1>Something went wrong</h1><p><code>${escapeHtml(out.error)}</code></p><p>${escapeHtml(out.error_description ?? '')}</p>`,
  );
}

/** oidc-provider `logoutSource`: `form` is the provider's own form (with its CSRF token). */
export async function renderLogoutPage(ctx: ProviderContext, form: string): Promise<void> {
  pageHeaders(ctx);
  ctx.type = 'html';
  ctx.body = layout(
    'Sign out · AI Hub',
    `<h1>Sign out?</h1><p>You will be signed out of AI Hub.</p>${form}<button type="submit" form="op.logoutForm" name="logout" value="yes">Sign out</button>` +
      `<button class="secondary" type="submit" form="op.logoutForm">Stay signed in</button>`,
  );
}

export async function renderLogoutSuccessPage(ctx: ProviderContext): Promise<void> {
  pageHeaders(ctx);
  ctx.type = 'html';
  ctx.body = layout('Signed out · AI Hub', '<h1>Signed out</h1><p>You can close this window.</p>');
}
