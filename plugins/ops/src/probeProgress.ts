import type { KeyValueStore } from '@aihub/core/plugin-api';

/**
 * How far the probe is with a drained deployment: consecutive healthy probes and the last result.
 * Kept in the shared store (not the leader's memory), so any instance answers the state route and
 * a new leader goes on counting where the old one stopped.
 */
export interface ProbeProgress {
  /** The drain it counts for (its `at`): a count left from an earlier drain is not this one's. */
  drainedAt: string;
  streak: number;
  lastResult: 'ok' | 'failed';
  /** The upstream's HTTP status when it answered. */
  lastStatus: number | null;
  /** What failed (`status`, `timeout`, `connection`), null on success. */
  lastError: string | null;
  lastAt: string;
}

/** A count not renewed for this long (probing off, the plugin gone) is dropped. */
const TTL_MS = 24 * 3_600_000;

const key = (deployment: string) => `probe:${deployment}`;

export async function writeProbeProgress(store: KeyValueStore, deployment: string, p: ProbeProgress): Promise<void> {
  await store.set(key(deployment), JSON.stringify(p), { ttlMs: TTL_MS });
}

/**
 * The progress of each drain (one `MGET`); a drain with no probe yet, or whose stored count is from
 * an earlier drain of the same deployment, is absent.
 */
export async function readProbeProgress(
  store: KeyValueStore,
  drains: { id: string; drainedAt: string }[],
): Promise<Map<string, ProbeProgress>> {
  const out = new Map<string, ProbeProgress>();
  if (!drains.length) return out;
  const values = await store.mget(drains.map((d) => key(d.id)));
  values.forEach((v, i) => {
    if (v === null) return;
    try {
      const p = JSON.parse(v) as ProbeProgress;
      if (p.drainedAt === drains[i].drainedAt && Number.isInteger(p.streak)) out.set(drains[i].id, p);
    } catch {
      // A value this version did not write: as if no probe had run yet.
    }
  });
  return out;
}
