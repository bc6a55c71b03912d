import type { PluginContext } from '@aihub/core/plugin-api';
import type { AiConfig } from '../config';
import type { Catalog } from '../routing/catalog';
import { RevisionConflict, type CatalogStore } from './CatalogStore';
import type { ControlState } from './controlState';
import type { CredentialSealer } from './crypto';
import { emptyOverlay, mergeOverlay, type Overlay, type Sources } from './overlay';

/**
 * One immutable state of the catalog. A request takes the snapshot current when it starts (its route
 * and deployments come from it) and keeps it to the end, so a swap never changes a request or stream
 * in flight.
 */
export interface CatalogSnapshot {
  revision: number;
  /** The effective ai config: the file's with the API overlay applied. */
  config: AiConfig;
  catalog: Catalog;
  overlay: Overlay;
  sources: Sources;
  /** Providers whose stored credential no configured key opens. */
  unreadable: string[];
  /** Unix seconds this snapshot was built (the `created` of /v1/models entries). */
  createdAt: number;
}

export type ReloadTrigger = 'api' | 'control' | 'notify' | 'poll' | 'file' | 'start';

/** The change made the catalog invalid (the schema's issues); nothing was stored. */
export class CatalogInvalid extends Error {
  constructor(readonly issues: { path: string; message: string }[]) {
    super(`the change makes the catalog invalid: ${issues.map((i) => `${i.path}: ${i.message}`).join('; ')}`);
  }
}

/** What a change is recorded as (the revision row). */
export interface ChangeMeta {
  author: string | null;
  action: string;
  target: string | null;
  reason?: string | null;
}

export interface CommitResult {
  /** The revision now in effect: the new one, or the newest when nothing changed. */
  revision: number;
  changed: boolean;
  before: Overlay;
  after: Overlay;
}

/** How many times a concurrency-safe change re-reads and redoes its edit after another writer took its revision. */
const MAX_ATTEMPTS = 20;

/** Redis channel (plugin-prefixed) announcing a new revision to the other instances. */
const CHANNEL = 'catalog';

/**
 * The catalog holder the ai runtime owns: the current snapshot, rebuilt when the API overlay gets a
 * new revision (here, or on another instance: a Redis message, or the poll of the revision number
 * as a safety net) or the config file is reloaded. Builds are serialized; a build reuses the
 * unchanged providers and deployments of the previous catalog (breakers and latency survive) and
 * retires the rest only after the longest upstream call could have ended.
 */
export class LiveCatalog {
  current!: CatalogSnapshot;
  private file: AiConfig;
  private chain: Promise<unknown> = Promise.resolve();
  private timer?: NodeJS.Timeout;
  private unsubscribe?: () => Promise<void>;
  private readonly retiring = new Set<{ catalog: Catalog; timer: NodeJS.Timeout }>();
  private readonly revisionGauge;
  private readonly reloads;

  constructor(
    private readonly ctx: PluginContext<AiConfig>,
    readonly store: CatalogStore,
    readonly sealer: CredentialSealer,
    /** Builds the routing catalog of a config, with the control state applied before it serves. */
    private readonly build: (config: AiConfig, control: ControlState, previous?: Catalog) => Catalog,
  ) {
    this.file = ctx.config;
    this.revisionGauge = ctx.meter.gauge(
      'ai_catalog_revision',
      'Revision of the live model catalog this instance serves (0: the config file alone)',
    );
    this.reloads = ctx.meter.counter(
      'ai_catalog_reloads_total',
      'Catalog rebuilds, by trigger (api, control, notify, poll, file, start) and outcome (applied, invalid)',
      ['trigger', 'outcome'] as const,
    );
  }

  /** The file's config (the baseline the overlay applies to). */
  get fileConfig(): AiConfig {
    return this.file;
  }

  /** The first snapshot: the file's catalog, then the stored overlay over it when it still fits. */
  async init(): Promise<void> {
    this.current = this.snapshot(
      0,
      this.file,
      emptyOverlay(),
      mergeOverlay(this.file, emptyOverlay(), this.sealer) as Extract<ReturnType<typeof mergeOverlay>, { ok: true }>,
      undefined,
    );
    const latest = await this.store.overlayAt();
    if (latest && latest.revision > 0) this.apply(latest.revision, latest.overlay, 'start');
  }

  /** Listens for revisions made on other instances: a Redis message, and the poll as a safety net. */
  async start(): Promise<void> {
    this.unsubscribe = await this.ctx.store.subscribe(CHANNEL, () => void this.refresh('notify'));
    const every = this.ctx.config.catalog.pollIntervalMs;
    this.timer = setInterval(() => void this.refresh('poll'), every);
    this.timer.unref();
  }

  /** Tells the other instances about a revision stored here. */
  async announce(revision: number): Promise<void> {
    await this.ctx.store.publish(CHANNEL, String(revision)).catch((err: unknown) =>
      this.ctx.logger.warn('could not announce the catalog revision (the others find it by polling)', {
        err,
        revision,
      }),
    );
  }

  /** Loads the newest revision when it is newer than the one served. */
  refresh(trigger: ReloadTrigger): Promise<void> {
    return this.serial(async () => {
      const n = await this.store.currentRevision().catch((err: unknown) => {
        this.ctx.logger.warn('could not read the catalog revision', { err });
        return this.current.revision;
      });
      if (n <= this.current.revision) return;
      const latest = await this.store.overlayAt();
      if (latest) this.apply(latest.revision, latest.overlay, trigger);
    });
  }

  /**
   * Validates the overlay over the file's config; applies it when valid. Returns the schema issues
   * otherwise (the current snapshot stays).
   */
  tryOverlay(overlay: Overlay): ReturnType<typeof mergeOverlay> {
    return mergeOverlay(this.file, overlay, this.sealer);
  }

  /** Swaps to the overlay of `revision` (already stored and validated). */
  apply(revision: number, overlay: Overlay, trigger: ReloadTrigger): boolean {
    const merged = mergeOverlay(this.file, overlay, this.sealer);
    if (!merged.ok) {
      this.reloads.inc({ trigger, outcome: 'invalid' });
      this.ctx.logger.error(
        `catalog revision ${revision} does not fit the config file; still serving revision ${this.current.revision}`,
        { revision, issues: merged.issues },
      );
      // Remember it was seen, so the poll does not retry it every interval.
      this.current = { ...this.current, revision };
      return false;
    }
    this.swap(this.snapshot(revision, merged.config, overlay, merged, this.current.catalog), trigger);
    return true;
  }

  /** A new config file (reload): rebuilds over it with the current overlay, or returns why not. */
  applyFile(file: AiConfig): { ok: true } | { ok: false; issues: { path: string; message: string }[] } {
    const merged = mergeOverlay(file, this.current.overlay, this.sealer);
    if (!merged.ok) {
      this.reloads.inc({ trigger: 'file', outcome: 'invalid' });
      return merged;
    }
    this.file = file;
    this.swap(
      this.snapshot(this.current.revision, merged.config, this.current.overlay, merged, this.current.catalog),
      'file',
    );
    return { ok: true };
  }

  private snapshot(
    revision: number,
    config: AiConfig,
    overlay: Overlay,
    merged: { sources: Sources; unreadable: string[] },
    previous: Catalog | undefined,
  ): CatalogSnapshot {
    return {
      revision,
      config,
      catalog: this.build(config, overlay.control, previous),
      overlay,
      sources: merged.sources,
      unreadable: merged.unreadable,
      createdAt: Math.floor(Date.now() / 1000),
    };
  }

  private swap(next: CatalogSnapshot, trigger: ReloadTrigger): void {
    const old = this.current;
    this.current = next;
    this.revisionGauge.set(next.revision);
    this.reloads.inc({ trigger, outcome: 'applied' });
    for (const name of next.unreadable)
      this.ctx.logger.error(
        `the stored credential of provider ${name} opens with no configured key (ai.catalog.encryptionKey / previousKeys); it runs without one`,
        { provider: name },
      );
    this.ctx.logger.info(`catalog revision ${next.revision} in effect`, {
      revision: next.revision,
      trigger,
      models: next.catalog.aliases.length,
    });
    // Requests still running on the old snapshot keep its providers; close what the new one did not
    // take over once the longest upstream call of the old config could have ended.
    const grace = Math.max(1000, ...Object.values(old.config.providers).map((p) => p.timeouts.totalMs)) + 1000;
    const entry = {
      catalog: old.catalog,
      timer: setTimeout(() => {
        this.retiring.delete(entry);
        void old.catalog.retire(next.catalog);
      }, grace),
    };
    entry.timer.unref();
    this.retiring.add(entry);
  }

  private serial<T>(fn: () => Promise<T>): Promise<T> {
    const run = this.chain.then(fn, fn);
    this.chain = run.catch(() => {});
    return run;
  }

  /**
   * The one write path of the catalog (admin edits, rollbacks and operational control alike): reads
   * the newest revision, edits a copy of its overlay (`edit` may throw to refuse, e.g. on If-Match),
   * validates the whole catalog, stores it as the next revision, applies it here and announces it to
   * the other instances. Serialized with this instance's rebuilds. Another instance storing the same
   * revision first gives RevisionConflict, or with `retry` a fresh read and the edit redone on it, so
   * concurrent automation never loses a change. `skipUnchanged`: an edit that changes nothing stores
   * no revision. Throws CatalogInvalid when the result does not validate.
   */
  commit(
    edit: (overlay: Overlay, file: AiConfig, revision: number) => void,
    meta: ChangeMeta,
    opts: { trigger: ReloadTrigger; retry?: boolean; skipUnchanged?: boolean },
  ): Promise<CommitResult> {
    return this.serial(async () => {
      for (let attempt = 1; ; attempt++) {
        const latest = (await this.store.overlayAt())!;
        const overlay = structuredClone(latest.overlay);
        edit(overlay, this.file, latest.revision);
        if (opts.skipUnchanged && JSON.stringify(overlay) === JSON.stringify(latest.overlay)) {
          // Serve what is stored, in case this instance has not seen it yet.
          if (latest.revision > this.current.revision) this.apply(latest.revision, latest.overlay, opts.trigger);
          return { revision: latest.revision, changed: false, before: latest.overlay, after: overlay };
        }
        const merged = this.tryOverlay(overlay);
        if (!merged.ok) throw new CatalogInvalid(merged.issues);
        let revision: number;
        try {
          revision = await this.store.append(latest.revision, { ...meta, overlay });
        } catch (err) {
          if (err instanceof RevisionConflict && opts.retry && attempt < MAX_ATTEMPTS) continue;
          throw err;
        }
        this.apply(revision, overlay, opts.trigger);
        void this.announce(revision);
        return { revision, changed: true, before: latest.overlay, after: overlay };
      }
    });
  }

  /** Runs `fn` after any build in progress (writes through the API go through here too). */
  exclusive<T>(fn: () => Promise<T>): Promise<T> {
    return this.serial(fn);
  }

  async close(): Promise<void> {
    if (this.timer) clearInterval(this.timer);
    await this.unsubscribe?.().catch(() => {});
    await this.chain;
    for (const r of this.retiring) {
      clearTimeout(r.timer);
      await r.catalog.retire(this.current.catalog);
    }
    this.retiring.clear();
    await this.current.catalog.close();
  }
}
