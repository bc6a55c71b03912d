/**
 * zod schemas of the admin API: request validation (the kernel answers 400 `validation_failed`
 * before a handler runs) and the response shapes in /admin/v1/openapi.json. Every string is
 * length-limited and refuses NUL characters (PostgreSQL cannot store them), so oversized or hostile
 * input is a 400, never a 500.
 */
import { z } from 'zod';
import { API_VERSIONS, TENANT_ROLES, type TenantRole } from '@aihub/core/plugin-api';

/** A string of at most `max` characters without NUL. */
export const safeString = (max: number) =>
  z
    .string()
    .max(max)
    .refine((s) => !s.includes('\u0000'), 'must not contain NUL characters');

export const name = safeString(200).trim().min(1, 'must not be empty');
export const slug = z
  .string()
  .regex(
    /^[a-z0-9][a-z0-9-]{1,62}$/,
    'must be 2–63 characters: lower-case letters, digits and -, starting with a letter or digit',
  );
export const email = safeString(254).trim().min(3);
export const password = safeString(1024);
export const role = z.enum(TENANT_ROLES as [TenantRole, ...TenantRole[]]);
export const tenantStatus = z.enum(['active', 'suspended']);
export const userStatus = z.enum(['active', 'disabled']);
export const planName = z.string().regex(/^[a-z0-9][a-z0-9_-]{0,63}$/, 'must be a configured plan name');
const id = safeString(128).min(1);

// ---- params and queries -------------------------------------------------------------------------

export const tenantParams = z.object({ tenantId: id });
export const userParams = z.object({ userId: id });
export const memberParams = z.object({ tenantId: id, userId: id });
export const teamParams = z.object({ tenantId: id, teamId: id });
export const teamMemberParams = z.object({ tenantId: id, teamId: id, userId: id });

const pageQuery = {
  limit: z.coerce.number().int().min(1).max(200).optional().describe('Page size, 1–200 (default 50)'),
  cursor: safeString(200).optional().describe('`next_cursor` of the previous page'),
};

export const tenantListQuery = z.object({
  ...pageQuery,
  status: tenantStatus.optional().describe('Only tenants with this status'),
  q: safeString(200).optional().describe('Case-insensitive substring of the name or slug'),
});

export const userListQuery = z.object({
  ...pageQuery,
  status: userStatus.optional().describe('Only users with this status'),
  q: safeString(200).optional().describe('Case-insensitive substring of the e-mail'),
});

export const memberListQuery = z.object({
  ...pageQuery,
  role: role.optional().describe('Only members with this role'),
});
export const teamListQuery = z.object({
  ...pageQuery,
  q: safeString(200).optional().describe('Case-insensitive substring of the team name'),
});

/** Years 1970–9999: what every database stores (PostgreSQL refuses years before 4713 BC, JS allows ±271821). */
const MAX_TIME = Date.UTC(9999, 11, 31, 23, 59, 59, 999);
const isoTime = safeString(40)
  .refine((s) => {
    const t = Date.parse(s);
    return !Number.isNaN(t) && t >= 0 && t <= MAX_TIME;
  }, 'must be an ISO-8601 date or date-time between 1970 and 9999')
  .transform((s) => new Date(s));

export const auditQueryFields = {
  ...pageQuery,
  action: safeString(128).optional().describe('Only this action, e.g. `tenant.update`'),
  actor: safeString(128).optional().describe('Only entries by this actor id (user, key or client id)'),
  target_type: safeString(64).optional().describe('Only entries about this kind of target, e.g. `team`'),
  target_id: safeString(128)
    .optional()
    .describe('Only entries about this target (a tenant, user, team, key or client id)'),
  since: isoTime.optional().describe('Entries at or after this time (ISO-8601)'),
  until: isoTime.optional().describe('Entries before this time (ISO-8601)'),
};
export const auditQuery = z.object(auditQueryFields);
export const platformAuditQuery = z.object({
  ...auditQueryFields,
  tenant_id: safeString(128).optional().describe('Only entries of this tenant'),
});

// ---- tenant settings ----------------------------------------------------------------------------

const count = z.number().int().min(0).max(1e12);
const micros = z.number().int().min(0).max(Number.MAX_SAFE_INTEGER);

export const limitSettings = z
  .object({
    requestsPerMinute: count.optional(),
    tokensPerMinute: count.optional(),
    concurrentRequests: count.optional(),
  })
  .strict();
export const budgetSettings = z
  .object({
    dailyHardMicros: micros.optional(),
    dailySoftMicros: micros.optional(),
    monthlyHardMicros: micros.optional(),
    monthlySoftMicros: micros.optional(),
  })
  .strict();

const fieldList = z.array(safeString(200).min(1)).max(200);

/** Known settings keys and their shapes (core's TenantSettings). */
export const settingsFields = {
  allowedModels: z
    .array(safeString(200).min(1))
    .max(1000)
    .describe('Model aliases the tenant may use; absent or containing `*` = all'),
  limits: limitSettings.describe('Tenant-wide rate limits (bounded by the plan)'),
  budgets: budgetSettings.describe('Tenant budgets in micro-dollars (bounded by the plan)'),
  pii: z
    .object({
      redactPrompts: z.boolean().optional(),
      hashFields: fieldList.optional(),
      dropFields: fieldList.optional(),
    })
    .strict()
    .describe('PII policy: prompt redaction, event fields to hash or drop'),
  systemPrompt: safeString(32_768).describe('System prompt prepended to chat requests'),
  promptTemplates: z
    .record(
      z.string().regex(/^[A-Za-z0-9][A-Za-z0-9_.-]{0,99}$/, 'template names are letters, digits, _ . -'),
      safeString(32_768),
    )
    .refine((r) => Object.keys(r).length <= 100, 'at most 100 templates')
    .describe('Named prompt templates'),
  cache: z
    .object({ enabled: z.boolean().optional(), ttlSeconds: z.number().int().min(0).max(31_536_000).optional() })
    .strict()
    .describe('Response cache policy'),
  retentionDays: z.number().int().min(1).max(3650).describe('How long usage and events are kept'),
  apiVersion: z
    .enum(API_VERSIONS as [string, ...string[]])
    .describe(
      "API version (AIHub-Version) the tenant's requests default to, after a key's own pin; set to the current version when the tenant is created",
    ),
  bounds: z
    .object({ limits: limitSettings.optional(), budgets: budgetSettings.optional() })
    .strict()
    .describe(
      "superadmin only: this tenant's own bounds, tightening its plan's (lowest wins) on every path that sets a limit or budget, and the value where none is set",
    ),
};

const EXTRA_KEY = /^[A-Za-z][A-Za-z0-9_.-]{0,63}$/;
/** Largest serialized settings object. */
export const MAX_SETTINGS_BYTES = 256 * 1024;

/** Deepest nesting accepted in settings (a database JSON parser may refuse or overflow on deeper input). */
export const MAX_SETTINGS_DEPTH = 32;

function deeperThan(value: unknown, limit: number): boolean {
  if (value === null || typeof value !== 'object') return false;
  if (limit <= 0) return true;
  for (const v of Object.values(value as object)) if (deeperThan(v, limit - 1)) return true;
  return false;
}

function checkExtras(value: Record<string, unknown>, ctx: z.RefinementCtx): void {
  if (deeperThan(value, MAX_SETTINGS_DEPTH)) {
    ctx.addIssue({
      code: 'custom',
      path: [],
      message: `settings may be nested at most ${MAX_SETTINGS_DEPTH} levels deep`,
    });
    return;
  }
  for (const key of Object.keys(value)) {
    if (!(key in settingsFields) && !EXTRA_KEY.test(key)) {
      ctx.addIssue({
        code: 'custom',
        path: [key],
        message: 'plugin-specific settings keys are letters, digits, _ . - (at most 64)',
      });
    }
  }
  if (JSON.stringify(value).length > MAX_SETTINGS_BYTES)
    ctx.addIssue({ code: 'custom', path: [], message: `settings may be at most ${MAX_SETTINGS_BYTES} bytes of JSON` });
}

/** Full settings (tenant creation). Unknown keys are kept for plugins that add their own. */
export const tenantSettings = z
  .object(
    Object.fromEntries(Object.entries(settingsFields).map(([k, s]) => [k, s.optional()])) as {
      [K in keyof typeof settingsFields]: z.ZodOptional<(typeof settingsFields)[K]>;
    },
  )
  .catchall(z.unknown())
  .superRefine(checkExtras);

/** A settings patch: keys merge into the current settings; `null` removes a key. */
export const settingsPatch = z
  .object(
    Object.fromEntries(Object.entries(settingsFields).map(([k, s]) => [k, s.nullable().optional()])) as {
      [K in keyof typeof settingsFields]: z.ZodOptional<z.ZodNullable<(typeof settingsFields)[K]>>;
    },
  )
  .catchall(z.unknown())
  .superRefine(checkExtras);

// ---- bodies -------------------------------------------------------------------------------------

export const tenantCreate = z
  .object({
    name,
    slug,
    plan: planName.optional(),
    settings: tenantSettings.optional(),
    status: tenantStatus.optional(),
  })
  .strict();
export const tenantUpdate = z
  .object({
    name: name.optional(),
    slug: slug.optional(),
    plan: planName.optional().describe('superadmin only'),
    status: tenantStatus.optional().describe('superadmin only'),
  })
  .strict();

export const userCreate = z
  .object({ email, password: password.optional(), superadmin: z.boolean().optional(), status: userStatus.optional() })
  .strict();
export const userUpdate = z
  .object({
    email: email.optional(),
    password: password.nullable().optional().describe('A new password, or null to remove it'),
    superadmin: z.boolean().optional(),
    status: userStatus.optional(),
  })
  .strict();

export const memberAdd = z.object({ email, role, team_id: id.nullable().optional() }).strict();
export const memberUpdate = z.object({ role: role.optional(), team_id: id.nullable().optional() }).strict();

/** A BCP 47 language tag such as `en` or `zh-CN` (the shape, not a registry lookup). */
const languageTag = z
  .string()
  .max(35)
  .regex(/^[A-Za-z]{2,3}(-[A-Za-z0-9]{2,8})*$/, 'preferred_language is a language tag such as en or zh-CN');
export const meUpdate = z
  .object({
    display_name: safeString(200).nullable().optional().describe('How the console names you; null: your e-mail'),
    preferred_language: languageTag
      .nullable()
      .optional()
      .describe("The language the console starts in (en, zh-CN); null: the browser's"),
  })
  .strict()
  .refine((b) => Object.keys(b).length > 0, { message: 'send display_name or preferred_language' });

export const teamCreate = z.object({ name, description: safeString(2000).nullable().optional() }).strict();
export const teamUpdate = z
  .object({ name: name.optional(), description: safeString(2000).nullable().optional() })
  .strict();

// ---- responses ----------------------------------------------------------------------------------

const time = z.string().describe('ISO-8601 UTC');

export const tenantOut = z.object({
  id: z.string(),
  slug: z.string(),
  name: z.string(),
  status: tenantStatus,
  plan: z.string(),
  settings: z.record(z.string(), z.unknown()),
  created_at: time,
  updated_at: time,
});
export const userOut = z.object({
  id: z.string(),
  email: z.string(),
  status: userStatus,
  superadmin: z.boolean(),
  has_password: z.boolean(),
  failed_logins: z.number().int(),
  locked_until: time.nullable(),
  last_login_at: time.nullable(),
  display_name: z.string().nullable(),
  preferred_language: z.string().nullable(),
  created_at: time,
  updated_at: time,
});
export const userDetailOut = userOut.extend({
  memberships: z.array(
    z.object({ tenant_id: z.string(), slug: z.string(), name: z.string(), role, team_id: z.string().nullable() }),
  ),
});
export const teamOut = z.object({
  id: z.string(),
  tenant_id: z.string(),
  name: z.string(),
  description: z.string().nullable(),
  created_at: time,
  updated_at: time,
});
export const memberOut = z.object({
  user_id: z.string(),
  tenant_id: z.string(),
  email: z.string(),
  role,
  team_id: z.string().nullable(),
  user_status: userStatus,
  created_at: time,
  updated_at: time,
});
export const auditOut = z.object({
  id: z.string(),
  tenant_id: z.string().nullable(),
  actor_type: z.string(),
  actor_id: z.string().nullable(),
  action: z.string(),
  target_type: z.string(),
  target_id: z.string().nullable(),
  before: z.unknown(),
  after: z.unknown(),
  request_id: z.string().nullable(),
  ip: z.string().nullable(),
  created_at: time,
});
export const listOf = <T extends z.ZodType>(item: T) =>
  z.object({ data: z.array(item), next_cursor: z.string().nullable() });
export const settingsOut = z.object({ tenant_id: z.string(), settings: z.record(z.string(), z.unknown()) });
export const meOut = z.object({
  principal: z.object({
    kind: z.string(),
    subject: z.string(),
    tenant_id: z.string().nullable(),
    role: role.nullable(),
    superadmin: z.boolean(),
    scopes: z.array(z.string()),
    user_id: z.string().nullable(),
    key_id: z.string().nullable(),
    client_id: z.string().nullable(),
    team_id: z.string().nullable(),
  }),
  tenant: tenantOut.pick({ id: true, slug: true, name: true, status: true, plan: true }).nullable(),
  permissions: z.array(z.string()).describe('Admin permissions granted in the current tenant'),
  user: userOut.nullable(),
  memberships: z.array(
    z.object({
      tenant_id: z.string(),
      slug: z.string(),
      name: z.string(),
      status: tenantStatus,
      role,
      team_id: z.string().nullable(),
    }),
  ),
});
