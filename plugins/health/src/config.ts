import { z } from 'zod';

export const healthConfig = z
  .object({
    details: z
      .object({
        access: z
          .enum(['token', 'admin', 'public'])
          .default('token')
          .describe(
            'Who may read /health/details: a static bearer token, platform admins (superadmin credentials; needs the auth plugin), or anyone',
          ),
        token: z
          .string()
          .min(16)
          .optional()
          .describe('Bearer token for access: token (set it from the environment, e.g. ${AIHUB_HEALTH_TOKEN})'),
      })
      .strict()
      .prefault({}),
    cacheMs: z
      .number()
      .int()
      .min(0)
      .default(1000)
      .describe('Reuse a readiness result for this long, so frequent probes do not hammer dependencies'),
  })
  .strict();

export type HealthConfig = z.output<typeof healthConfig>;
