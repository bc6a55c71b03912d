import type { ProviderContext } from './oidcTypes';

/** HTML-escapes text for element content and attribute values. */
export function escapeHtml(value: unknown): string {
  return String(value ?? '').replace(/[&<>"'`=/]/g, (c) => `&#${c.charCodeAt(0)};`);
}

/**
 * The console's look (Angular Material M3, azure palette, system fonts), light or dark with the
 * system setting: the same colour roles as admin-ui's theme, written out since these pages load
 * nothing from outside.
 */
const STYLE =
  ':root{color-scheme:light dark;--primary:#005cbb;--on-primary:#fff;--surface:#f9f9ff;--card:#fff;--on-surface:#191c20;--muted:#44474e;--outline:#74777f;--outline-variant:#c4c6d0;--secondary-container:#dae2f9;--on-secondary-container:#131c2b;--error-container:#ffdad6;--on-error-container:#93000a;--focus:#005cbb}' +
  '@media (prefers-color-scheme:dark){:root{--primary:#abc7ff;--on-primary:#002f65;--surface:#111318;--card:#1d2024;--on-surface:#e2e2e9;--muted:#c4c6d0;--outline:#8e9099;--outline-variant:#44474e;--secondary-container:#3e4759;--on-secondary-container:#dae2f9;--error-container:#93000a;--on-error-container:#ffdad6;--focus:#abc7ff}}' +
  'body{font:15px/1.5 system-ui,-apple-system,"Segoe UI",Roboto,"Noto Sans","Noto Sans CJK SC",sans-serif;background:var(--surface);color:var(--on-surface);margin:0;display:flex;flex-direction:column;min-height:100vh;align-items:center;justify-content:center;gap:16px}' +
  '.brand{font-size:22px;font-weight:500;letter-spacing:.2px;margin:0}' +
  'main{background:var(--card);padding:32px 36px;border-radius:16px;border:1px solid var(--outline-variant);width:340px;max-width:calc(100vw - 40px);box-sizing:border-box}' +
  'h1{font-size:24px;font-weight:400;margin:0 0 4px}p{color:var(--muted);margin:0 0 16px}' +
  'label{display:block;font-size:13px;margin:14px 0 4px;color:var(--muted)}' +
  'input{width:100%;box-sizing:border-box;padding:12px 14px;border:1px solid var(--outline);border-radius:4px;font:inherit;background:transparent;color:inherit}' +
  'input:focus{outline:2px solid var(--focus);outline-offset:-1px;border-color:var(--focus)}' +
  'button{margin-top:24px;width:100%;padding:10px 24px;border:0;border-radius:20px;background:var(--primary);color:var(--on-primary);font-family:inherit;font-weight:500;font-size:14px;line-height:20px;letter-spacing:.1px;cursor:pointer}' +
  'button:focus-visible{outline:2px solid var(--focus);outline-offset:2px}' +
  'button.secondary{background:var(--secondary-container);color:var(--on-secondary-container);margin-top:8px}' +
  '.error{background:var(--error-container);color:var(--on-error-container);padding:10px 12px;border-radius:8px;margin:0 0 12px}' +
  'ul{padding-left:18px}code{font-size:13px}';

/** The page shell: no external resources, no scripts. */
export function layout(title: string, body: string): string {
  return `<!DOCTYPE html><html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width,initial-scale=1"><meta name="robots" content="noindex"><title>${escapeHtml(title)}</title><style>${STYLE}</style></head><body><header class="brand">AI Hub</header><main>${body}</main></body></html>`;
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
  ctx.set(
    'content-security-policy',
    "default-src 'none'; style-src 'unsafe-inline'; frame-ancestors 'none'; base-uri 'none'",
  );
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
