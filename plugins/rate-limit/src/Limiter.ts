import { randomBytes } from 'node:crypto';
import type { KeyValueStore, Logger } from '@aihub/core/plugin-api';
import type { RateLimitMetrics } from './metrics';
import type { Resolution } from './resolve';
import { ADMIT_OK, admitScript, renewScript, settleScript, type AdmitReply } from './scripts';

/** The outcome of an admission that reached the store. */
export interface Decision {
  /** ADMIT_OK, or which dimension refused (ADMIT_REQUESTS / ADMIT_TOKENS / ADMIT_CONCURRENCY). */
  status: number;
  requestsUsed: number;
  tokensUsed: number;
  concurrentUsed: number;
  /** Milliseconds until the current window ends. */
  resetMs: number;
  /** Tokens reserved (0 when tokens are not limited). */
  cost: number;
  /** The token counter of the reservation's window, for reconciliation. */
  tokensKey?: string;
  /** The concurrency set and this request's lease in it. */
  leaseKey?: string;
  member?: string;
}

export interface LimiterOptions {
  windowMs: number;
  leaseMs: number;
  warnIntervalMs: number;
}

/** Settles wait this long to share one store call (after the response, so no client waits on it). */
const SETTLE_BATCH_MS = 5;
/** Most keys per settle call (Lua's unpack and one script's run time stay small). */
const SETTLE_BATCH_KEYS = 400;

interface SettleBatch {
  /** Token window key → summed delta. */
  tokens: Map<string, number>;
  /** Lease releases: concurrency key and member. */
  releases: [string, string][];
  done: Promise<void>;
  resolve: () => void;
}

/**
 * Talks to the store: one admission script per request before it runs, one settle script after the
 * response (token reconciliation + lease release), and periodic lease renewal for requests still in
 * flight. Store failures are counted, logged at most once per interval, and surface as a thrown
 * error only to `admit`'s caller, which applies the fail mode.
 */
export class Limiter {
  /** Unique per process, so lease members of different instances never collide. */
  private readonly instance = randomBytes(6).toString('hex');
  private sequence = 0;
  /** Live leases: member → concurrency key, renewed every leaseMs / 3. */
  private readonly leases = new Map<string, string>();
  private renewTimer?: NodeJS.Timeout;
  private errorsSinceWarn = 0;
  private lastWarnAt = 0;
  private failing = false;
  private batch: SettleBatch | undefined;
  private batchTimer?: NodeJS.Timeout;

  constructor(
    private readonly store: KeyValueStore,
    private readonly options: LimiterOptions,
    private readonly metrics: RateLimitMetrics,
    private readonly logger: Logger,
  ) {}

  start(): void {
    this.renewTimer = setInterval(() => void this.renewAll(), Math.max(1000, Math.floor(this.options.leaseMs / 3)));
    this.renewTimer.unref();
  }

  /** Stops renewing and settles what is pending (refunds are not lost on shutdown). */
  async stop(): Promise<void> {
    clearInterval(this.renewTimer);
    this.leases.clear();
    clearTimeout(this.batchTimer);
    await this.flush();
  }

  /**
   * Checks every limited dimension and, only when all pass, consumes them: one store round trip.
   * Throws when the store is unreachable (after counting and maybe logging it).
   */
  async admit(r: Resolution, cost: number): Promise<Decision> {
    const client = this.store.redisClient();
    // While ioredis reconnects, fail at once instead of queueing behind a dead connection for ~1 s.
    if (client !== undefined && client.status !== 'ready')
      throw this.failed('admit', new Error(`Redis connection is ${client.status}`));
    const rq = r.requests;
    const tk = r.tokens;
    const cc = r.concurrency;
    const tokenCost = tk ? cost : 0;
    const member = cc ? `${this.instance}:${++this.sequence}` : '';
    const tokensBase = tk ? `t:${tk.subject}` : '';
    const leaseKey = cc ? `c:${cc.subject}` : '';
    let reply: AdmitReply;
    try {
      reply = await this.store.runScript(
        admitScript,
        [rq ? `r:${rq.subject}` : '', tokensBase, leaseKey],
        [
          this.options.windowMs,
          rq ? rq.limit : 0,
          tk ? tk.limit : 0,
          tokenCost,
          cc ? cc.limit : 0,
          member,
          this.options.leaseMs,
        ],
      );
    } catch (err) {
      throw this.failed('admit', err);
    }
    this.recovered();
    const status = Number(reply[0]);
    const decision: Decision = {
      status,
      requestsUsed: Number(reply[1]),
      tokensUsed: Number(reply[2]),
      concurrentUsed: Number(reply[3]),
      resetMs: Number(reply[4]),
      cost: tokenCost,
    };
    if (status === ADMIT_OK) {
      if (tk && tokenCost > 0) decision.tokensKey = `${tokensBase}:${reply[5]}`;
      if (cc) {
        decision.leaseKey = leaseKey;
        decision.member = member;
        this.leases.set(member, leaseKey);
      }
    }
    return decision;
  }

  /**
   * After the response: charges (`delta` > 0) or refunds (`delta` < 0) the reservation's window and
   * releases the lease. Settles of the next few milliseconds go to the store in one call; the
   * promise resolves when that call is done. Never rejects: a failure is counted, and the lease
   * expires by itself.
   */
  settle(d: Decision, delta: number): Promise<void> {
    const adjust = d.tokensKey !== undefined && delta !== 0;
    if (!adjust && d.member === undefined) return Promise.resolve();
    const batch = this.currentBatch();
    if (adjust) batch.tokens.set(d.tokensKey!, (batch.tokens.get(d.tokensKey!) ?? 0) + Math.round(delta));
    if (d.member !== undefined) {
      this.leases.delete(d.member);
      batch.releases.push([d.leaseKey!, d.member]);
    }
    return batch.done;
  }

  private currentBatch(): SettleBatch {
    if (this.batch) return this.batch;
    let resolve!: () => void;
    const done = new Promise<void>((r) => (resolve = r));
    this.batch = { tokens: new Map(), releases: [], done, resolve };
    this.batchTimer = setTimeout(() => void this.flush(), SETTLE_BATCH_MS);
    return this.batch;
  }

  private async flush(): Promise<void> {
    const batch = this.batch;
    this.batch = undefined;
    if (!batch) return;
    const tokens = [...batch.tokens].filter(([, delta]) => delta !== 0);
    const releases = batch.releases;
    const calls: Promise<unknown>[] = [];
    // Chunks of at most SETTLE_BATCH_KEYS keys, token keys first (the script's argument layout).
    let t = 0;
    let r = 0;
    while (t < tokens.length || r < releases.length) {
      const keys: string[] = [];
      const deltas: number[] = [];
      const members: string[] = [];
      for (; t < tokens.length && keys.length < SETTLE_BATCH_KEYS; t++) {
        keys.push(tokens[t][0]);
        deltas.push(tokens[t][1]);
      }
      for (; r < releases.length && keys.length < SETTLE_BATCH_KEYS; r++) {
        keys.push(releases[r][0]);
        members.push(releases[r][1]);
      }
      calls.push(
        this.store
          .runScript(settleScript, keys, [deltas.length, ...deltas, ...members])
          .catch((err: unknown) => this.failed('settle', err)),
      );
    }
    await Promise.all(calls);
    batch.resolve();
  }

  /** Number of leases this instance holds (tests and health details). */
  get inFlight(): number {
    return this.leases.size;
  }

  private async renewAll(): Promise<void> {
    if (this.leases.size === 0) return;
    const work: Promise<unknown>[] = [];
    for (const [member, key] of this.leases) {
      work.push(
        this.store
          .runScript(renewScript, [key], [member, this.options.leaseMs])
          .catch((err: unknown) => this.failed('renew', err)),
      );
    }
    await Promise.all(work);
  }

  private failed(operation: 'admit' | 'settle' | 'renew', err: unknown): unknown {
    this.metrics.storeErrors.labels({ operation }).inc();
    this.failing = true;
    this.errorsSinceWarn++;
    const now = Date.now();
    if (now - this.lastWarnAt >= this.options.warnIntervalMs) {
      this.logger.warn('rate-limit store unreachable; applying each policy’s fail mode until it returns', {
        err,
        operation,
        errors_since_last_warning: this.errorsSinceWarn,
      });
      this.lastWarnAt = now;
      this.errorsSinceWarn = 0;
    }
    return err;
  }

  private recovered(): void {
    if (!this.failing) return;
    this.failing = false;
    this.logger.info('rate-limit store reachable again; limits enforced', {
      errors_since_last_warning: this.errorsSinceWarn,
    });
    this.errorsSinceWarn = 0;
    this.lastWarnAt = 0;
  }
}
