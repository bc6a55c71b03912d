import { z } from 'zod';

const pathPrefix = z
  .string()
  .regex(
    /^\/([A-Za-z0-9._~-]+\/)*$/,
    "must start and end with '/' and hold only URL-safe path segments, e.g. /admin/ or /gw/admin/",
  );

export const consoleConfig = z
  .object({
    basePath: pathPrefix
      .default('/admin/')
      .refine(
        (p) => !p.startsWith('/admin/v1/') && !p.startsWith('/oauth/') && !p.startsWith('/v1/') && p !== '/',
        'must not be /, nor lie under /admin/v1/, /oauth/ or /v1/ (the console never shadows the API)',
      )
      .describe(
        'Path the console is served under, as the browser sees it (behind a reverse proxy that adds a prefix: e.g. /gw/admin/)',
      ),
    apiBase: z
      .string()
      .regex(/^(\/[A-Za-z0-9._~-]+)*$/, "must be '' or a path prefix without a trailing slash, e.g. /gw")
      .default('')
      .describe(
        "Prefix under which the browser reaches the gateway's /admin/v1 and /oauth routes ('' = the same origin's root; /gw behind a proxy that adds /gw)",
      ),
    publicUrl: z
      .url()
      .regex(/^https?:\/\/[^/]+$/, 'must be an origin without a path, e.g. https://aihub.example.com')
      .optional()
      .describe(
        "Origin the browser uses (scheme://host[:port]) for the OAuth redirect URIs; default: the auth plugin's issuer",
      ),
    extraOrigins: z
      .array(z.string().regex(/^https?:\/\/[^/]+$/, 'must be an origin without a path'))
      .default([])
      .describe(
        'More origins the console is reached at (each gets its own redirect URI), e.g. https://aihub.internal.example; the loopback twin of a localhost/127.0.0.1 origin is added without it',
      ),
    clientId: z
      .string()
      .regex(/^[A-Za-z0-9_.-]{1,64}$/)
      .default('aihub-console')
      .describe('Client id of the first-party OAuth client the plugin registers'),
    distDir: z
      .string()
      .optional()
      .describe('Directory of the built app (default: admin-ui/dist/browser of this installation)'),
    traceUrl: z
      .string()
      .regex(/^https?:\/\/[^\s]+$/, 'must be an http(s) URL')
      .refine(
        (u) => u.split('{traceId}').length === 2,
        'must contain {traceId} exactly once, e.g. http://jaeger:16686/trace/{traceId}',
      )
      .refine(
        (u) => URL.canParse(u.replace('{traceId}', '0af7651916cd43dd8448eb211c80319c')),
        'is not a valid URL once {traceId} is filled in',
      )
      .optional()
      .describe(
        "Link from a request in the console's request explorer to its trace: a URL with {traceId}, e.g. http://jaeger:16686/trace/{traceId} (unset: no link)",
      ),
  })
  .strict();

export type ConsoleConfig = z.output<typeof consoleConfig>;
