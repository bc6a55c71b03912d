import {
  AUDIT_LOG,
  PrincipalKey,
  actorOf,
  errors,
  validated,
  type GatewayContext,
  type PluginRouter,
} from '@aihub/core/plugin-api';
import { z } from 'zod';
import type { AiConfig } from '../config';
import { AiErrors } from '../errors';
import { RevisionConflict } from './CatalogStore';
import { CatalogInvalid, type CatalogSnapshot } from './LiveCatalog';
import { maskSecret } from './crypto';
import {
  DIFF_SECTIONS,
  diffOverlays,
  publicEntry,
  publicFileEntry,
  SECTIONS,
  type Overlay,
  type Section,
  type StoredEntry,
} from './overlay';
import type { AiContext } from '../runtime';

const BASE = '/admin/v1/ai/catalog';

const entryParams = z.object({ section: z.enum(SECTIONS), name: z.string().min(1).max(256) });
/**
 * A revision number as the column stores it (a 32-bit INTEGER): a larger one is a 400 here rather
 * than a database error (PostgreSQL refuses to compare it) answered as 500.
 */
const revisionNumber = (min: number) => z.coerce.number().int().min(min).max(2_147_483_647);
const revisionParams = z.object({ revision: revisionNumber(1) });
/** Rollback also takes revision 0: the config file alone, with no API entries and no control state. */
const rollbackParams = z.object({ revision: revisionNumber(0) });
const rollbackBody = z
  .object({
    control: z
      .enum(['keep', 'restore'])
      .default('keep')
      .describe(
        'keep (default): only the catalog entries go back; the operational control state (drains, weights, breakers, fallback switches) stays as it is now, so a rollback never un-drains what automation drained since. restore: the control state goes back to that revision too (to undo a control change)',
      ),
  })
  .strict()
  .describe(
    'Optional (no body: keep). GET …/revisions/{revision}/diff lists control changes under section `control`; a rollback of an entry edit keeps drains automation made since, "restore" undoes a control change',
  );
const diffQuery = z.object({
  from: revisionNumber(0)
    .optional()
    .describe(
      'Diff against this revision instead of the one before (e.g. the current revision against a rollback target: what a rollback would change back)',
    ),
});
const revisionsQuery = z.object({
  limit: z.coerce.number().int().min(1).max(200).default(50),
  before: revisionNumber(1).optional().describe('Revisions older than this number (paging)'),
});
const entryBody = z
  .record(z.string(), z.unknown())
  .describe(
    'The entry as in the config file (a provider, a model alias, an experiment or a price), or {"disabled": true} to hide a file entry',
  );

const entryView = z.object({
  name: z.string(),
  source: z
    .enum(['file', 'api'])
    .describe('file: from the config file; api: set through this API (wins over the file)'),
  overrides_file: z.boolean().describe('An API entry replacing (or disabling) a file entry of the same name'),
  disabled: z.boolean(),
  credential_readable: z
    .boolean()
    .describe('Providers: false when no configured key opens the stored credential (it runs without one)'),
  config: z.unknown().describe('The entry in effect (credentials masked); null when disabled'),
});
const catalogAnswer = z.object({
  revision: z
    .number()
    .describe('The revision this instance serves (0: the file alone). Send it as If-Match to change the catalog'),
  precedence: z.literal('api-over-file'),
  providers: z.array(entryView),
  models: z.array(entryView),
  experiments: z.array(entryView),
  pricing: z.array(entryView),
});
const revisionView = z.object({
  revision: z.number(),
  author: z.string().nullable(),
  action: z.string(),
  target: z.string().nullable(),
  reason: z.string().nullable().describe('Why: the rule, probe or operator reason of an operational control change'),
  created_at: z.string(),
});
const revisionsAnswer = z.object({ revisions: z.array(revisionView) });
const diffAnswer = z.object({
  revision: z.number(),
  changes: z.array(
    z.object({
      section: z
        .enum(DIFF_SECTIONS)
        .describe('control: drains, weight overrides, forced breakers and fallback switches (operational control)'),
      name: z
        .string()
        .describe(
          'The entry, or for control the item: drain/<deployment>, breaker/<deployment>, fallback/<alias>, weight/<alias>/<deployment>',
        ),
      op: z.enum(['add', 'remove', 'change']),
      before: z.unknown(),
      after: z.unknown(),
    }),
  ),
});

/** The live catalog is the platform's: superadmins only (tenants see it through GET /v1/models and their plan). */
function platformAdmin(c: GatewayContext): void {
  const p = PrincipalKey.get(c);
  if (!p) throw errors.unauthorized();
  if (p.superadmin !== true)
    throw errors.forbidden(
      'The model catalog is for platform admins: use a superadmin key or token.',
      'platform_admin_required',
    );
}

/** If-Match: `"7"`, `W/"7"` or `7`; undefined when absent or `*`. */
function ifMatch(c: GatewayContext): number | undefined {
  const raw = c.get('if-match').trim();
  if (!raw || raw === '*') return undefined;
  const n = Number(raw.replace(/^W\//, '').replace(/"/g, ''));
  if (!Number.isInteger(n) || n < 0)
    throw AiErrors.create(
      'catalog_revision_mismatch',
      `If-Match ${raw} is not a catalog revision; send the ETag of GET ${BASE} (a quoted number).`,
    );
  return n;
}

function entryName(c: GatewayContext): { section: Section; name: string } {
  return validated<unknown, z.output<typeof entryParams>>(c).params;
}

/**
 * The admin API of the live catalog: read it with each entry's source, change or remove API
 * entries, list revisions, diff and roll back. Every change is validated whole against the ai
 * config schema, stored as a new revision (optimistic: If-Match or a concurrent writer gives
 * 412 / 409), audited, applied here and announced to the other instances.
 */
export function catalogRoutes(router: PluginRouter, ctx: AiContext): void {
  const admin = (scope: 'admin:read' | 'admin:write') => ({
    auth: 'required' as const,
    scopes: [scope],
    tags: ['admin', 'platform'],
  });

  router.get(
    BASE,
    (c) => {
      platformAdmin(c);
      const snap = ctx.runtime.live.current;
      c.set('etag', `"${snap.revision}"`);
      c.set('cache-control', 'no-store');
      c.body = describeCatalog(snap);
    },
    {
      ...admin('admin:read'),
      summary:
        'The live model catalog: providers, model aliases, experiments and prices, each with its source (file or api)',
      schema: { responses: { 200: catalogAnswer }, tag: 'catalog', operationId: 'getAiCatalog' },
    },
  );

  router.put(
    `${BASE}/:section/:name`,
    async (c) => {
      platformAdmin(c);
      const { section, name } = entryName(c);
      const body = c.request.body as Record<string, unknown>;
      await change(ctx, c, `${section}.update`, `${section}/${name}`, (overlay, file) => {
        const rt = ctx.runtime;
        if (body.disabled === true && Object.keys(body).length === 1) {
          if (!inFile(file, section, name))
            throw AiErrors.create(
              'catalog_invalid',
              `"${name}" is not a ${section} entry of the config file; delete the API entry instead of disabling it.`,
              { details: { issues: [{ path: `${section}.${name}`, message: 'only file entries are disabled' }] } },
            );
          overlay[section][name] = { disabled: true };
          return;
        }
        const entry: StoredEntry = { ...body };
        if (section === 'experiments') entry.name = name;
        if (section === 'providers') {
          const previous = overlay.providers[name];
          delete entry.apiKeySealed;
          delete entry.apiKeyMask;
          if (typeof body.apiKey === 'string' && body.apiKey) {
            if (!rt.live.sealer.canSeal) throw AiErrors.create('catalog_key_missing');
            entry.apiKeySealed = rt.live.sealer.seal(body.apiKey);
            entry.apiKeyMask = maskSecret(body.apiKey);
          } else if (body.apiKey === undefined && previous?.apiKeySealed) {
            // The credential is never shown, so a change that leaves it out keeps it; `apiKey: null` removes it.
            entry.apiKeySealed = previous.apiKeySealed;
            entry.apiKeyMask = previous.apiKeyMask;
          }
          delete entry.apiKey;
        }
        overlay[section][name] = entry;
      });
    },
    {
      ...admin('admin:write'),
      summary:
        'Create or replace an API entry of the catalog (wins over a file entry of the same name); {"disabled": true} hides a file entry',
      schema: {
        params: entryParams,
        body: entryBody,
        responses: { 200: catalogAnswer },
        tag: 'catalog',
        operationId: 'putAiCatalogEntry',
      },
    },
  );

  router.delete(
    `${BASE}/:section/:name`,
    async (c) => {
      platformAdmin(c);
      const { section, name } = entryName(c);
      await change(ctx, c, `${section}.delete`, `${section}/${name}`, (overlay) => {
        if (!overlay[section][name])
          throw AiErrors.create(
            'catalog_entry_not_found',
            `The catalog has no API entry ${section}/${name}${inFile(ctx.runtime.live.fileConfig, section, name) ? ' (it is a file entry: disable it with PUT {"disabled": true})' : ''}.`,
          );
        delete overlay[section][name];
      });
    },
    {
      ...admin('admin:write'),
      summary: 'Remove an API entry of the catalog (a file entry of the same name comes back)',
      schema: {
        params: entryParams,
        responses: { 200: catalogAnswer },
        tag: 'catalog',
        operationId: 'deleteAiCatalogEntry',
      },
    },
  );

  router.get(
    `${BASE}/revisions`,
    async (c) => {
      platformAdmin(c);
      const q = validated<z.output<typeof revisionsQuery>>(c).query;
      const rows = await ctx.runtime.live.store.list(q.limit, q.before);
      c.body = {
        revisions: rows.map((r) => ({
          revision: r.revision,
          author: r.author,
          action: r.action,
          target: r.target,
          reason: r.reason,
          created_at: new Date(r.createdAt).toISOString(),
        })),
      };
    },
    {
      ...admin('admin:read'),
      summary:
        'Revisions of the catalog, newest first: admin edits, rollbacks and operational control changes (drains, weights, breakers, fallback switches)',
      schema: {
        query: revisionsQuery,
        responses: { 200: revisionsAnswer },
        tag: 'catalog',
        operationId: 'listAiCatalogRevisions',
      },
    },
  );

  router.get(
    `${BASE}/revisions/:revision/diff`,
    async (c) => {
      platformAdmin(c);
      const { query, params } = validated<z.output<typeof diffQuery>, z.output<typeof revisionParams>>(c);
      const n = params.revision;
      const from = query.from ?? n - 1;
      const store = ctx.runtime.live.store;
      const [after, before] = await Promise.all([store.overlayAt(n), store.overlayAt(from)]);
      if (!after || !before)
        throw AiErrors.create('catalog_revision_not_found', `The catalog has no revision ${after ? from : n}.`);
      c.body = { revision: n, changes: diffOverlays(before.overlay, after.overlay) };
    },
    {
      ...admin('admin:read'),
      summary: 'What a revision changed against the one before it, or against revision `from` (credentials masked)',
      schema: {
        params: revisionParams,
        query: diffQuery,
        responses: { 200: diffAnswer },
        tag: 'catalog',
        operationId: 'diffAiCatalogRevision',
      },
    },
  );

  router.post(
    `${BASE}/revisions/:revision/rollback`,
    async (c) => {
      platformAdmin(c);
      const n = validated<unknown, z.output<typeof rollbackParams>>(c).params.revision;
      const { control } = c.request.body as z.output<typeof rollbackBody>;
      const target = await ctx.runtime.live.store.overlayAt(n);
      if (!target) throw AiErrors.create('catalog_revision_not_found', `The catalog has no revision ${n}.`);
      // The entries of that revision; its control state only when asked, since drains and breakers
      // made since are about the upstreams now, not about the edit being undone.
      await change(ctx, c, 'rollback', `revision/${n}`, (overlay) => {
        for (const s of SECTIONS) overlay[s] = structuredClone(target.overlay[s]);
        if (control === 'restore') overlay.control = structuredClone(target.overlay.control);
      });
    },
    {
      ...admin('admin:write'),
      summary:
        'Make the catalog entries as they were at a revision again (stored as a new revision); the operational control state stays unless the body says {"control": "restore"}',
      schema: {
        params: rollbackParams,
        body: rollbackBody,
        responses: { 200: catalogAnswer },
        tag: 'catalog',
        operationId: 'rollbackAiCatalog',
      },
    },
  );
}

function inFile(file: AiConfig, section: Section, name: string): boolean {
  return section === 'experiments' ? file.experiments.some((e) => e.name === name) : name in file[section];
}

/**
 * One admin change through the catalog's one write path (LiveCatalog.commit, shared with operational
 * control): check If-Match against the newest revision, edit a copy of its overlay, validate the
 * whole catalog, store it as the next revision (409 when another writer got there), apply here, tell
 * the other instances; then audit and answer the catalog.
 */
async function change(
  ctx: AiContext,
  c: GatewayContext,
  action: string,
  target: string,
  edit: (overlay: Overlay, file: AiConfig) => void,
): Promise<void> {
  const live = ctx.runtime.live;
  const expected = ifMatch(c);
  let audit;
  try {
    audit = await live.commit(
      (overlay, file, latest) => {
        if (expected !== undefined && expected !== latest)
          throw AiErrors.create(
            'catalog_revision_mismatch',
            `If-Match names revision ${expected}, but the catalog is at revision ${latest}; read it again and redo the change.`,
            { headers: { etag: `"${latest}"` } },
          );
        edit(overlay, file);
      },
      { author: actorOf(c), action: `ai_catalog.${action}`, target },
      { trigger: 'api' },
    );
  } catch (err) {
    if (err instanceof CatalogInvalid)
      throw AiErrors.create(
        'catalog_invalid',
        `The change makes the catalog invalid: ${err.issues.map((i) => `${i.path}: ${i.message}`).join('; ')}.`,
        { details: { issues: err.issues } },
      );
    if (err instanceof RevisionConflict)
      throw AiErrors.create(
        'catalog_conflict',
        `Another change was stored at the same time (the catalog is at revision ${err.current}); read it again and redo the change.`,
      );
    throw err;
  }
  const changes = diffOverlays(audit.before, audit.after);
  await ctx.tryGet(AUDIT_LOG)?.record(c, {
    tenantId: null,
    action: `ai_catalog.${action}`,
    targetType: 'ai_catalog',
    targetId: target,
    before: changes.map((x) => ({ section: x.section, name: x.name, value: x.before })),
    after: changes.map((x) => ({ section: x.section, name: x.name, value: x.after, revision: audit.revision })),
  });
  ctx.logger.info(`catalog changed: ${action} ${target} (revision ${audit.revision})`, {
    revision: audit.revision,
    action,
    target,
    actor: actorOf(c),
  });
  // Answer like GET: the catalog as it is now, with its new ETag.
  const snap = live.current;
  c.set('etag', `"${snap.revision}"`);
  c.set('cache-control', 'no-store');
  c.body = describeCatalog(snap);
}

/** The catalog answer: every entry of every section with its source, credentials masked. */
function describeCatalog(snap: CatalogSnapshot): z.output<typeof catalogAnswer> {
  const view = (section: Section) => {
    const effective =
      section === 'experiments'
        ? Object.fromEntries(snap.config.experiments.map((e) => [e.name, e]))
        : (snap.config[section] as Record<string, unknown>);
    return Object.entries(snap.sources[section])
      .sort(([a], [b]) => a.localeCompare(b))
      .map(([name, s]) => {
        const stored = snap.overlay[section][name];
        // An API provider's credential is shown as the mask stored beside it (the plain key is only in memory).
        const config = s.disabled
          ? null
          : stored?.apiKeySealed
            ? { ...(publicFileEntry(effective[name]) as object), apiKey: publicEntry(stored).apiKey }
            : publicFileEntry(effective[name]);
        return {
          name,
          source: s.source,
          overrides_file: s.overridesFile,
          disabled: s.disabled,
          config: config ?? null,
          credential_readable: !snap.unreadable.includes(name),
        };
      });
  };
  return {
    revision: snap.revision,
    precedence: 'api-over-file',
    providers: view('providers'),
    models: view('models'),
    experiments: view('experiments'),
    pricing: view('pricing'),
  };
}
