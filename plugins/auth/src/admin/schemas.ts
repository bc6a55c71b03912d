import { API_VERSIONS, SCOPES, TENANT_ROLES } from '@aihub/core/plugin-api';
import { z } from 'zod';
import { KEY_SORTS } from '../keys/keyQuery';
import { ROTATION_GRACE_MAX_SECONDS } from '../keys/ApiKeyStore';

/**
 * zod schemas of the admin API: the kernel validates requests with them (400 `validation_failed`)
 * and generates /admin/v1/openapi.json from them. Every string is bounded and free text refuses
 * control characters (PostgreSQL rejects NUL in text, which would otherwise surface as a 500).
 */

// eslint-disable-next-line no-control-regex
const CONTROL = /[\u0000-\u001f\u007f]/;
const ID = /^[A-Za-z0-9_-]{1,64}$/;

export const text = (max: number) =>
  z
    .string()
    .trim()
    .min(1)
    .max(max)
    .refine((s) => !CONTROL.test(s), 'must not contain control characters');

export const idString = (what: string) =>
  z.string().max(64).regex(ID, `${what} is an id of letters, digits, _ and - (at most 64)`);

export const scopeSchema = z.enum(SCOPES).describe('Credential scope');
export const roleSchema = z
  .enum(TENANT_ROLES as unknown as [string, ...string[]])
  .describe('Tenant role the credential acts with on admin routes');

export const limitsSchema = z
  .object({
    requestsPerMinute: z.number().int().positive().max(10_000_000).optional(),
    tokensPerMinute: z.number().int().positive().max(10_000_000_000).optional(),
    concurrentRequests: z.number().int().positive().max(100_000).optional(),
  })
  .strict()
  .describe('Per-key overrides read by the rate-limit plugin');

const micros = z.number().int().min(0).max(1e15);
export const budgetsSchema = z
  .object({
    dailyHardMicros: micros.optional(),
    dailySoftMicros: micros.optional(),
    monthlyHardMicros: micros.optional(),
    monthlySoftMicros: micros.optional(),
  })
  .strict()
  .describe('Per-key budgets in micro-dollars, read by the usage plugin');

export const tenantParams = z.object({ tenantId: idString('tenantId') }).strict();
export const keyParams = z
  .object({
    tenantId: idString('tenantId'),
    id: z.string().regex(/^[A-Za-z0-9]{12}$/, 'id is the 12-character key id'),
  })
  .strict();
export const clientParams = z
  .object({
    tenantId: idString('tenantId'),
    clientId: z.string().regex(/^ahc_[A-Za-z0-9]{20}$/, 'clientId looks like ahc_ followed by 20 letters and digits'),
  })
  .strict();

const isoDate = z.iso.datetime({ offset: true }).describe('RFC 3339 date-time');

export const allowedModelsSchema = z
  .array(text(200))
  .min(1)
  .max(100)
  .describe(
    'Model names or aliases this key may call (`*` = all); other models answer 403 `model_not_allowed`. Absent or null: every model the tenant may use',
  );

/** A released API version (`GET /admin/v1/versions`). */
const apiVersionSchema = z.enum(API_VERSIONS as [string, ...string[]]);

export const createKeyBody = z
  .object({
    name: text(200).describe('Human-readable name'),
    scopes: z
      .array(scopeSchema)
      .min(1)
      .max(SCOPES.length)
      .optional()
      .describe('Default: the configured default scopes (ai:invoke)'),
    role: roleSchema.optional().describe('Default: developer'),
    team_id: idString('team_id').optional(),
    user_id: idString('user_id')
      .optional()
      .describe('Owner: a member of the tenant (default: the caller). The key cannot carry a role above its owner'),
    allowed_models: allowedModelsSchema.optional(),
    api_version: apiVersionSchema
      .optional()
      .describe("API version (AIHub-Version) the key's requests default to; default: the current version"),
    expires_at: isoDate.optional(),
    expires_in_days: z.number().int().min(1).max(36_500).optional(),
    limits: limitsSchema.optional(),
    budgets: budgetsSchema.optional(),
    superadmin: z.boolean().optional().describe('Platform superadmin key (only a superadmin may create one)'),
  })
  .strict()
  .refine((b) => !(b.expires_at && b.expires_in_days), {
    message: 'send expires_at or expires_in_days, not both',
    path: ['expires_at'],
  });

export const updateKeyBody = z
  .object({
    name: text(200).optional(),
    scopes: z.array(scopeSchema).min(1).max(SCOPES.length).optional(),
    role: roleSchema.optional(),
    team_id: idString('team_id').nullable().optional(),
    expires_at: isoDate.nullable().optional(),
    limits: limitsSchema.nullable().optional(),
    budgets: budgetsSchema.nullable().optional(),
    allowed_models: allowedModelsSchema.nullable().optional(),
    api_version: apiVersionSchema
      .nullable()
      .optional()
      .describe("API version the key's requests default to; null: the tenant's pin"),
  })
  .strict()
  .refine((b) => Object.keys(b).length > 0, { message: 'send at least one field to change' });

const listQueryBase = {
  cursor: z.string().max(200).optional().describe('next_cursor of the previous page'),
  limit: z.coerce.number().int().min(1).max(200).optional().describe('Page size (default 50)'),
};

export const listKeysQuery = z
  .object({
    ...listQueryBase,
    // A name sort's cursor carries the last name (up to 200 characters).
    cursor: z
      .string()
      .max(600)
      .optional()
      .describe('next_cursor of the previous page (with the same sort and filters)'),
    status: z
      .enum(['active', 'suspended', 'revoked', 'expired'])
      .optional()
      .describe('One status per key: revoked, else expired, else suspended, else active'),
    owner: idString('owner').optional().describe('Only keys owned by this user id'),
    user_id: idString('user_id').optional().describe('Same as owner (kept for older clients)'),
    team_id: idString('team_id').optional(),
    q: text(200)
      .optional()
      .describe('Case-insensitive substring of the name, or a prefix of the key id (`ahk_…` accepted)'),
    sort: z
      .enum(KEY_SORTS as [string, ...string[]])
      .optional()
      .describe(
        'created_at, last_used_at, name or expires_at; `-` first for descending. Default -created_at (newest first)',
      ),
  })
  .strict()
  .refine((q) => !(q.owner && q.user_id && q.owner !== q.user_id), {
    message: 'send owner or user_id, not two different ones',
    path: ['owner'],
  });

export const apiKeyView = z.object({
  id: z.string(),
  tenant_id: z.string(),
  name: z.string(),
  key_prefix: z.string().describe('`ahk_<id>`: identifies the key in logs without revealing it'),
  status: z
    .enum(['active', 'suspended', 'revoked', 'expired'])
    .describe('revoked, else expired, else suspended (refused until resumed), else active'),
  scopes: z.array(z.string()),
  role: z.string(),
  superadmin: z.boolean(),
  user_id: z.string().nullable(),
  team_id: z.string().nullable(),
  expires_at: z.string().nullable(),
  revoked_at: z.string().nullable(),
  last_used_at: z.string().nullable(),
  limits: limitsSchema.nullable(),
  budgets: budgetsSchema.nullable(),
  allowed_models: z.array(z.string()).nullable().describe('null: every model the tenant may use'),
  rotated_from: z.string().nullable().describe('The key this one replaced by rotation'),
  replaced_by: z.string().nullable().describe('The key that replaced this one by rotation'),
  api_version: z
    .string()
    .nullable()
    .describe("API version (AIHub-Version) the key's requests default to; null: the tenant's pin"),
  suspended_at: z.string().nullable().describe('When the key was suspended; null when it is not suspended'),
  suspended_reason: z
    .string()
    .nullable()
    .describe("Why it was suspended (also told to the key's callers in the 403 `api_key_suspended`)"),
  suspended_by: z
    .string()
    .nullable()
    .describe(
      'Who suspended it: the user behind the credential (user id), else `<kind>:<subject>` of the credential; `ops:<rule>` for an automation rule',
    ),
  created_by: z.string().nullable(),
  created_at: z.string(),
  updated_at: z.string(),
});

/** A key as the list and the key's own page show it: with its owner named (e-mail, display name). */
export const apiKeyListItem = apiKeyView.extend({
  owner: z
    .object({ email: z.string(), display_name: z.string().nullable() })
    .nullable()
    .describe(
      "The owner (user_id) as the tenant's member list names them; null when the key has no owner or the owner is no longer a member",
    ),
});

export const keyListView = z.object({
  data: z.array(apiKeyListItem),
  next_cursor: z
    .string()
    .nullable()
    .describe('Pass as `cursor` (with the same sort and filters) for the next page; null on the last page'),
  has_more: z
    .boolean()
    .describe(
      'Whether another page follows. There is no total: counting every matching key would cost more than the page',
    ),
});

export const rotateKeyBody = z
  .object({
    grace_seconds: z
      .number()
      .int()
      .min(0)
      .max(ROTATION_GRACE_MAX_SECONDS)
      .optional()
      .describe(
        'How long the old key keeps working, so deployments can switch over (default 0: it stops now; at most 7 days)',
      ),
  })
  .strict();

export const suspendKeyBody = z
  .object({
    reason: text(500)
      .optional()
      .describe("Why (kept on the key, audited, and told to the key's callers in the 403 `api_key_suspended`)"),
  })
  .strict();

export const createdKeyView = apiKeyView.extend({
  key: z.string().describe('The full key. Shown once: store it now.'),
});
export const listView = <T extends z.ZodType>(item: T) =>
  z.object({
    data: z.array(item),
    next_cursor: z.string().nullable().describe('Pass as `cursor` for the next page; null on the last page'),
  });

const GRANTS = ['client_credentials', 'authorization_code', 'refresh_token'] as const;

const redirectUri = z
  .string()
  .max(2000)
  .refine((u) => {
    const parsed = URL.canParse(u) ? new URL(u) : undefined;
    if (!parsed || parsed.hash) return false;
    // https anywhere, http only for loopback (RFC 8252 native apps / local development), or a private-use scheme.
    if (parsed.protocol === 'https:') return true;
    if (parsed.protocol === 'http:') return ['localhost', '127.0.0.1', '[::1]'].includes(parsed.hostname);
    return /^[a-z][a-z0-9+.-]*\.[a-z0-9+.-]+:$/.test(parsed.protocol);
  }, 'redirect URIs are absolute https URLs without a fragment (http only for localhost, or a reverse-DNS private scheme such as com.example.app:/cb)');

export const createClientBody = z
  .object({
    name: text(200),
    grant_types: z
      .array(z.enum(GRANTS))
      .min(1)
      .max(3)
      .describe('client_credentials for machines; authorization_code (+ refresh_token) for apps that log users in'),
    redirect_uris: z.array(redirectUri).max(20).optional().describe('Required for authorization_code; exact match'),
    post_logout_redirect_uris: z.array(redirectUri).max(20).optional(),
    scopes: z
      .array(scopeSchema)
      .min(1)
      .max(SCOPES.length)
      .optional()
      .describe('Scopes the client may request (default ai:invoke)'),
    role: roleSchema
      .optional()
      .describe(
        'Role of client_credentials tokens, and the most a user token of this client can carry (default developer)',
      ),
    token_endpoint_auth_method: z
      .enum(['client_secret_basic', 'client_secret_post', 'none'])
      .optional()
      .describe('`none` makes a public client (SPA, CLI) with no secret; PKCE is always required'),
    first_party: z
      .boolean()
      .optional()
      .describe(
        'Platform application (the console): consent is implied and users of any tenant may sign in. Superadmin only',
      ),
    allowed_models: allowedModelsSchema
      .optional()
      .describe(
        "Model aliases the client's tokens may call, within the tenant's (default: every model the tenant may use)",
      ),
    api_version: apiVersionSchema
      .optional()
      .describe(
        "API version (AIHub-Version) the client's tokens' requests default to; default: the tenant's pin, else the current version",
      ),
  })
  .strict()
  .superRefine((b, ctx) => {
    for (const issue of clientShapeIssues(b)) ctx.addIssue({ code: 'custom', ...issue });
  });

/**
 * Rules that tie a client's grant types, redirect URIs and authentication method together: checked
 * on create, and on the merged result of a PATCH.
 */
export function clientShapeIssues(b: {
  grant_types: readonly string[];
  redirect_uris?: readonly string[];
  token_endpoint_auth_method?: string;
}): { path: string[]; message: string }[] {
  const issues: { path: string[]; message: string }[] = [];
  const code = b.grant_types.includes('authorization_code');
  if (code && !b.redirect_uris?.length)
    issues.push({ path: ['redirect_uris'], message: 'authorization_code clients need at least one redirect URI' });
  if (!code && b.redirect_uris?.length)
    issues.push({ path: ['redirect_uris'], message: 'redirect URIs only apply to authorization_code clients' });
  if (b.grant_types.includes('refresh_token') && !code)
    issues.push({ path: ['grant_types'], message: 'refresh_token needs authorization_code' });
  if (b.token_endpoint_auth_method === 'none' && b.grant_types.includes('client_credentials')) {
    issues.push({
      path: ['token_endpoint_auth_method'],
      message: 'client_credentials needs a confidential client (a secret)',
    });
  }
  return issues;
}

export const updateClientBody = z
  .object({
    name: text(200).optional(),
    grant_types: z.array(z.enum(GRANTS)).min(1).max(3).optional(),
    redirect_uris: z.array(redirectUri).max(20).optional(),
    post_logout_redirect_uris: z.array(redirectUri).max(20).optional(),
    scopes: z.array(scopeSchema).min(1).max(SCOPES.length).optional(),
    allowed_models: allowedModelsSchema
      .nullable()
      .optional()
      .describe(
        "Model aliases the client's tokens may call, within the tenant's; null: every model the tenant may use",
      ),
    api_version: apiVersionSchema
      .nullable()
      .optional()
      .describe("API version the client's tokens default to (tokens issued from now on); null: the tenant's pin"),
  })
  .strict()
  .refine((b) => Object.keys(b).length > 0, { message: 'send at least one field to change' })
  .describe(
    'The authentication method, role and first-party flag are fixed at creation: register a new client to change them',
  );

export const listClientsQuery = z.object({ ...listQueryBase, q: text(200).optional() }).strict();

export const clientView = z.object({
  client_id: z.string(),
  tenant_id: z.string(),
  name: z.string(),
  grant_types: z.array(z.string()),
  redirect_uris: z.array(z.string()),
  post_logout_redirect_uris: z.array(z.string()),
  scopes: z.array(z.string()),
  role: z.string(),
  token_endpoint_auth_method: z.string(),
  first_party: z.boolean(),
  allowed_models: z.array(z.string()).nullable().describe('null: every model the tenant may use'),
  api_version: z
    .string()
    .nullable()
    .describe("API version (AIHub-Version) the client's tokens' requests default to; null: the tenant's pin"),
  created_by: z.string().nullable(),
  created_at: z.string(),
  updated_at: z.string(),
});

export const createdClientView = clientView.extend({
  client_secret: z.string().nullable().describe('Shown once (null for public clients)'),
});

export const rotateBody = z
  .object({
    grace_seconds: z
      .number()
      .int()
      .min(0)
      .max(30 * 86_400)
      .optional()
      .describe('How long the previous key still verifies (default from config)'),
  })
  .strict();
