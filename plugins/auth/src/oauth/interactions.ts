import { parse as parseQuery } from 'node:querystring';
import { GatewayError, type GatewayContext, type PluginRouter } from '@aihub/core/plugin-api';
import type { UserRecord } from '@aihub/plugin-tenancy';
import type { AuthRuntime } from '../runtime';
import { CLIENT_FIRST_PARTY, CLIENT_TENANT } from './clientMetadata';
import { OAuthServer } from './OAuthServer';
import type { InteractionDetails, OidcClient, OidcGrant } from './oidcTypes';
import { consentPage, escapeHtml, layout, loginPage, pageHeaders } from './pages';

/** The one message for every failed sign-in: unknown e-mail, wrong password, locked or disabled account. */
export const LOGIN_FAILED = 'Incorrect e-mail or password, or the account is temporarily locked. Try again later.';
/** Every failed sign-in takes at least this long, so a database write on one path does not show in timing. */
const MIN_FAILURE_MS = 300;
const TENANT_PARAM = /^[A-Za-z0-9_-]{1,64}$/;
const EMAIL = /^[^\s@]{1,64}@[^\s@]{1,253}$/;

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

function html(ctx: GatewayContext, status: number, body: string): void {
  pageHeaders(ctx);
  ctx.status = status;
  ctx.type = 'html';
  ctx.body = body;
}

function form(ctx: GatewayContext): Record<string, string> {
  const raw = ctx.request.rawBody;
  if (!raw || raw.length === 0) return {};
  const parsed = parseQuery(raw.toString('utf8'), '&', '=', { maxKeys: 20 });
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(parsed)) if (typeof v === 'string') out[k] = v;
  return out;
}

/**
 * The login and consent pages of the authorization server (oidc-provider's dev interactions are
 * off). Sign-in checks the password through TENANCY, with backoff per account and client address; every failure gets the same
 * message, status and (at least) the same duration, whether the e-mail exists or not. First-party
 * clients (the console) get consent implied; others show a consent page.
 */
export function interactionRoutes(router: PluginRouter, rt: () => AuthRuntime): void {
  const server = (): OAuthServer => {
    const oauth = rt().oauth;
    if (!oauth) throw new Error('OAuth is disabled');
    return oauth;
  };

  async function details(ctx: GatewayContext): Promise<InteractionDetails | undefined> {
    try {
      const d = await (await server().provider()).interactionDetails(ctx.req, ctx.res);
      if (d.uid !== (ctx as unknown as { params: { uid: string } }).params.uid) throw new Error('uid mismatch');
      return d;
    } catch {
      html(
        ctx,
        400,
        layout(
          'Sign-in expired · AI Hub',
          '<h1>This sign-in has expired</h1><p>Go back to the application and start again.</p>',
        ),
      );
      return undefined;
    }
  }

  async function clientOf(d: InteractionDetails): Promise<OidcClient | undefined> {
    return (await server().provider()).Client.find(String(d.params.client_id ?? ''));
  }

  /** The tenant the user signs in to: the `tenant` parameter, the client's tenant, or the user's own. */
  async function resolveTenant(
    userId: string,
    client: OidcClient,
    requested: unknown,
  ): Promise<{ id: string; name: string } | { error: string }> {
    const tenancy = rt().tenancy();
    const user = await tenancy.getUser(userId);
    if (!user) return { error: 'The account no longer exists.' };
    const clientTenant = String(client[CLIENT_TENANT]);
    const firstParty = client[CLIENT_FIRST_PARTY] === true;
    let tenantId: string | undefined;
    if (typeof requested === 'string' && requested !== '') {
      if (!TENANT_PARAM.test(requested)) return { error: 'The tenant parameter is not a tenant id or slug.' };
      const t = (await tenancy.getTenant(requested)) ?? (await tenancy.getTenantBySlug(requested));
      tenantId = t?.id;
      if (!tenantId) return { error: 'You are not a member of that tenant.' };
      if (!firstParty && tenantId !== clientTenant)
        return { error: 'This application can only be used in its own tenant.' };
    } else if (!firstParty) {
      tenantId = clientTenant;
    } else {
      const memberships = await tenancy.membershipsOf(userId);
      tenantId =
        memberships.find((m) => m.tenantId === clientTenant)?.tenantId ??
        memberships[0]?.tenantId ??
        (user.superadmin ? clientTenant : undefined);
      if (!tenantId) return { error: 'Your account is not a member of any tenant yet.' };
    }
    if (!user.superadmin && !(await tenancy.roleOf(userId, tenantId)))
      return { error: 'You are not a member of that tenant.' };
    const tenant = await tenancy.getTenant(tenantId);
    if (!tenant) return { error: 'You are not a member of that tenant.' };
    if (tenant.status !== 'active' && !user.superadmin) return { error: 'That tenant is suspended.' };
    return { id: tenant.id, name: tenant.name };
  }

  /** Grants what the consent prompt asks for, remembers the tenant, and resumes the authorization. */
  async function grantAndFinish(ctx: GatewayContext, d: InteractionDetails, tenantId: string): Promise<void> {
    const provider = await server().provider();
    const accountId = d.session?.accountId;
    if (!accountId) throw new Error('consent without a signed-in account');
    let grant: OidcGrant | undefined = d.grantId ? await provider.Grant.find(d.grantId) : undefined;
    grant ??= new provider.Grant({ accountId, clientId: String(d.params.client_id) });
    const missing = d.prompt.details;
    if (Array.isArray(missing.missingOIDCScope)) grant.addOIDCScope((missing.missingOIDCScope as string[]).join(' '));
    if (Array.isArray(missing.missingOIDCClaims)) grant.addOIDCClaims(missing.missingOIDCClaims as string[]);
    if (missing.missingResourceScopes && typeof missing.missingResourceScopes === 'object') {
      for (const [indicator, scopes] of Object.entries(missing.missingResourceScopes as Record<string, string[]>))
        grant.addResourceScope(indicator, scopes.join(' '));
    }
    const grantId = await grant.save();
    await server().setTenantOfGrant(grantId, tenantId);
    ctx.respond = false;
    await provider.interactionFinished(
      ctx.req,
      ctx.res,
      { consent: d.grantId ? {} : { grantId } },
      { mergeWithLastSubmission: true },
    );
  }

  async function deny(ctx: GatewayContext, description: string): Promise<void> {
    const provider = await server().provider();
    ctx.respond = false;
    await provider.interactionFinished(
      ctx.req,
      ctx.res,
      { error: 'access_denied', error_description: description },
      { mergeWithLastSubmission: false },
    );
  }

  const options = { auth: 'none' as const, pipeline: false, summary: 'OAuth sign-in page' };
  const postOptions = { ...options, body: 'raw' as const, bodyLimit: 16 * 1024 };

  router.get(
    '/oauth/interaction/:uid',
    async (ctx) => {
      const d = await details(ctx);
      if (!d) return;
      const client = await clientOf(d);
      if (!client) return html(ctx, 400, layout('Error · AI Hub', '<h1>Unknown application</h1>'));
      const name = String(client.clientName ?? client.clientId);
      const base = `/oauth/interaction/${encodeURIComponent(d.uid)}`;
      if (d.prompt.name === 'login')
        return html(
          ctx,
          200,
          loginPage({
            action: `${base}/login`,
            clientName: name,
            email: typeof d.params.login_hint === 'string' ? d.params.login_hint : undefined,
          }),
        );
      if (d.prompt.name === 'consent') {
        const tenant = await resolveTenant(d.session?.accountId ?? '', client, d.params.tenant);
        if ('error' in tenant) return deny(ctx, tenant.error);
        if (client[CLIENT_FIRST_PARTY] === true) return grantAndFinish(ctx, d, tenant.id);
        return html(
          ctx,
          200,
          consentPage({
            action: `${base}/confirm`,
            clientName: name,
            scopes: OAuthServer.apiScopes(String(d.params.scope ?? '')),
            tenant: tenant.name,
          }),
        );
      }
      return deny(ctx, 'unsupported interaction');
    },
    options,
  );

  /** The login page again, with what the user typed as e-mail and why the attempt was refused. */
  async function loginAgain(
    ctx: GatewayContext,
    d: InteractionDetails,
    status: number,
    email: string,
    error: string,
  ): Promise<void> {
    const client = await clientOf(d);
    html(
      ctx,
      status,
      loginPage({
        action: `/oauth/interaction/${encodeURIComponent(d.uid)}/login`,
        clientName: String(client?.clientName ?? client?.clientId ?? ''),
        email: email.slice(0, 254),
        error,
      }),
    );
  }

  router.post(
    '/oauth/interaction/:uid/login',
    async (ctx) => {
      const started = performance.now();
      const d = await details(ctx);
      if (!d) return;
      if (d.prompt.name !== 'login')
        return html(
          ctx,
          400,
          layout('Error · AI Hub', '<h1>Nothing to sign in to</h1><p>Go back to the application and start again.</p>'),
        );
      const r = rt();
      const tenancy = r.tenancy();
      const fields = form(ctx);
      const email = (fields.email ?? '').trim().toLowerCase();
      const password = fields.password ?? '';
      const waitMs = await r.loginThrottle.blockedFor(ctx.ip);
      if (waitMs > 0) {
        r.metrics.login.inc({ result: 'throttled' });
        const seconds = Math.ceil(waitMs / 1000);
        ctx.set('retry-after', String(seconds));
        return loginAgain(
          ctx,
          d,
          429,
          email,
          `Too many failed sign-ins from your network. Try again in ${seconds} seconds.`,
        );
      }
      let user: UserRecord | undefined;
      let ok = false;
      let result: 'success' | 'failure' | 'locked' = 'failure';
      if (EMAIL.test(email) && email.length <= 254 && password.length > 0 && password.length <= 1024)
        user = await tenancy.findUserByEmail(email);
      // Paused for this account from this address only (backoff): the real user elsewhere is unaffected.
      const paused = (await r.loginThrottle.accountPausedFor(email, ctx.ip)) > 0;
      try {
        if (paused) {
          // Same work as a real check; the pause stands until it expires (no extension while paused).
          await tenancy.dummyVerify();
          result = 'locked';
        } else if (!user || user.status !== 'active') {
          await tenancy.dummyVerify();
        } else {
          ok = await tenancy.verifyPassword(user, password);
          if (ok) result = 'success';
        }
      } catch (err) {
        // The process-wide bound on password hashing is full (a flood): nothing was checked, so
        // nothing is counted; the page says to retry (every path hits it alike, known user or not).
        if (!GatewayError.is(err) || err.code !== 'password_hashing_busy') throw err;
        r.metrics.login.inc({ result: 'busy' });
        ctx.set('retry-after', err.headers?.['retry-after'] ?? '1');
        return loginAgain(ctx, d, 503, email, 'Sign-in is busy right now. Try again shortly.');
      }
      r.metrics.login.inc({ result });
      if (!ok || !user) {
        if (!paused) await r.loginThrottle.accountFailed(email, ctx.ip);
        await r.loginThrottle.failed(ctx.ip);
        const elapsed = performance.now() - started;
        if (elapsed < MIN_FAILURE_MS) await sleep(MIN_FAILURE_MS - elapsed + Math.random() * 20);
        return loginAgain(ctx, d, 401, email, LOGIN_FAILED);
      }
      await r.loginThrottle.accountSucceeded(email, ctx.ip);
      await tenancy.recordLoginSuccess(user.id);
      const provider = await server().provider();
      ctx.respond = false;
      await provider.interactionFinished(
        ctx.req,
        ctx.res,
        { login: { accountId: user.id, amr: ['pwd'], remember: false } },
        { mergeWithLastSubmission: false },
      );
    },
    postOptions,
  );

  router.post(
    '/oauth/interaction/:uid/confirm',
    async (ctx) => {
      const d = await details(ctx);
      if (!d) return;
      if (d.prompt.name !== 'consent') return html(ctx, 400, layout('Error · AI Hub', '<h1>Nothing to confirm</h1>'));
      const client = await clientOf(d);
      if (!client) return html(ctx, 400, layout('Error · AI Hub', '<h1>Unknown application</h1>'));
      if (form(ctx).decision !== 'allow') return deny(ctx, 'the user denied the request');
      const tenant = await resolveTenant(d.session?.accountId ?? '', client, d.params.tenant);
      if ('error' in tenant) return deny(ctx, tenant.error);
      return grantAndFinish(ctx, d, tenant.id);
    },
    postOptions,
  );

  router.get(
    '/oauth/interaction/:uid/abort',
    async (ctx) => {
      const d = await details(ctx);
      if (!d) return;
      return deny(ctx, `the user cancelled the sign-in (${escapeHtml(d.uid)})`);
    },
    options,
  );
}
