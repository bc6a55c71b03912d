import type { KeyValueStore, Logger } from '@aihub/core/plugin-api';
import type { ControlState } from '../catalog/controlState';
import type { LiveCatalog } from '../catalog/LiveCatalog';

/** The keys the control state was kept under before it became part of the catalog (one per item). */
const key = {
  drain: (dep: string) => `ops:drain:${dep}`,
  breaker: (dep: string) => `ops:breaker:${dep}`,
  fallback: (alias: string) => `ops:fallback:${alias}`,
  weight: (alias: string, dep: string) => `ops:weight:${alias}:${dep}`,
};

/**
 * Upgrade: moves control state an older version kept in the shared store (Redis) into the catalog as
 * one revision (author `upgrade`), then deletes those keys, so a deployment drained before the upgrade
 * stays drained after it. Items the catalog already has win. Runs at each start and costs one MGET of
 * the current catalog's keys; instances starting together both find the same state, and the second
 * stores nothing (an unchanged edit stores no revision). A store that cannot be read is logged and
 * skipped (the next start tries again).
 */
export async function importLegacyControl(live: LiveCatalog, store: KeyValueStore, logger: Logger): Promise<void> {
  const catalog = live.current.catalog;
  const items: { k: string; put: (v: string, c: ControlState) => void }[] = [];
  for (const dep of catalog.deployments.keys()) {
    items.push({
      k: key.drain(dep),
      put: (v, c) => {
        const d = parse(v);
        if (d && typeof d.reason === 'string' && !c.drained[dep])
          c.drained[dep] = {
            reason: d.reason.slice(0, 500),
            at: typeof d.at === 'string' ? d.at : new Date().toISOString(),
          };
      },
    });
    items.push({
      k: key.breaker(dep),
      put: (v, c) => {
        if ((v === 'open' || v === 'closed') && !c.breakers[dep]) c.breakers[dep] = v;
      },
    });
  }
  for (const route of catalog.routes.values()) {
    const alias = route.alias;
    items.push({ k: key.fallback(alias), put: (v, c) => v === '1' && (c.fallbackFirst[alias] = true) });
    for (const e of route.entries)
      items.push({
        k: key.weight(alias, e.dep.id),
        put: (v, c) => {
          const w = Number(v);
          if (Number.isFinite(w) && w >= 0 && c.weights[alias]?.[e.dep.id] === undefined)
            (c.weights[alias] ??= {})[e.dep.id] = w;
        },
      });
  }
  if (!items.length) return;
  let values: (string | null)[];
  try {
    values = await store.mget(items.map((i) => i.k));
  } catch (err) {
    logger.warn('ai: could not look for operational control state of an older version (will look at the next start)', {
      err,
    });
    return;
  }
  const found = items.map((item, i) => ({ ...item, v: values[i] })).filter((x) => x.v !== null);
  if (!found.length) return;
  let r;
  try {
    r = await live.commit(
      (overlay) => {
        for (const f of found) f.put(f.v!, overlay.control);
      },
      {
        author: 'upgrade',
        action: 'ai_control.import',
        target: null,
        reason: `operational control state of an older version moved from the shared store into the catalog (${found.length} items)`,
      },
      { trigger: 'control', retry: true, skipUnchanged: true },
    );
  } catch (err) {
    // The stored catalog does not fit the file (or the database is away): keep the keys for the next start.
    logger.error('ai: could not move operational control state of an older version into the catalog', { err });
    return;
  }
  for (const f of found) await store.del(f.k).catch(() => {});
  logger.info(`ai: operational control state of an older version is now catalog revision ${r.revision}`, {
    revision: r.revision,
    items: found.map((f) => f.k),
  });
}

function parse(v: string): { reason?: unknown; at?: unknown } | undefined {
  try {
    const d = JSON.parse(v) as unknown;
    return d && typeof d === 'object' ? (d as { reason?: unknown; at?: unknown }) : undefined;
  } catch {
    return undefined;
  }
}
