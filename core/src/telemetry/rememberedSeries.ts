import client from 'prom-client';

/**
 * prom-client counters and histograms whose label sets are remembered: the metrics plugins get from
 * their PluginMeter.
 *
 * prom-client finds a series on every `inc`/`observe` by validating the label object and building a
 * string key from it, then looking that string up in a dictionary (~0.5–1 µs a call; a proxied chat
 * request makes eight such calls). These subclasses find the series prom-client created through
 * nested Maps keyed by the label values (in `labelNames` order) and update it in place. Everything
 * else is prom-client's own: the first call for a label set, every call it would refuse (unknown or
 * missing labels, bad values), exemplars, `reset()`, `remove()`, `get()` and rendering.
 */

/** A prom-client series as it sits in `hashMap`: `{ value, labels }` or `{ sum, count, bucketValues, labels }`. */
type Entry = Record<string, unknown> & { labels: Record<string, unknown> };
type Labels = Record<string, string | number | undefined>;

/** What the subclasses read of prom-client's (untyped) internals. */
interface Internals {
  hashMap: Record<string, Entry>;
  labelNames: string[];
}

/** Label values → the series prom-client holds for them, dropped whenever prom-client replaces its map. */
class SeriesIndex {
  private root = new Map<unknown, unknown>();
  private of: Record<string, Entry> | undefined;

  constructor(private readonly metric: Internals) {}

  /** The remembered series for exactly these labels, or undefined (not seen yet, or labels prom-client must judge). */
  find(labels: Labels): Entry | undefined {
    const { metric } = this;
    // reset() (also Registry.resetMetrics) gives the metric a new map: nothing remembered is valid then.
    if (metric.hashMap !== this.of) {
      this.root = new Map();
      this.of = metric.hashMap;
      return undefined;
    }
    const names = metric.labelNames;
    let keys = 0;
    for (const _ in labels) keys++;
    // An extra or missing label is prom-client's to refuse.
    if (keys !== names.length) return undefined;
    let node: Map<unknown, unknown> | undefined = this.root;
    for (let i = 0; i < names.length - 1 && node; i++)
      node = node.get(labels[names[i]]) as Map<unknown, unknown> | undefined;
    return node?.get(labels[names[names.length - 1]]) as Entry | undefined;
  }

  /** Remembers the series prom-client now holds for `labels` (after its own call created or updated it). */
  remember(labels: Labels): void {
    const { metric } = this;
    if (metric.hashMap !== this.of) {
      this.root = new Map();
      this.of = metric.hashMap;
    }
    const names = metric.labelNames;
    for (const name of names) if (labels[name] === undefined) return;
    // Found by its labels (once per label set): prom-client keys the map with a string it builds privately.
    const entry = Object.values(metric.hashMap).find((e) =>
      names.every((n) => String(e.labels[n]) === String(labels[n])),
    );
    if (!entry) return;
    let node = this.root;
    for (let i = 0; i < names.length - 1; i++) {
      let next = node.get(labels[names[i]]) as Map<unknown, unknown> | undefined;
      if (!next) node.set(labels[names[i]], (next = new Map()));
      node = next;
    }
    node.set(labels[names[names.length - 1]], entry);
  }

  /** Before `remove()`: a removed series must not be updated through a remembered reference. */
  forget(): void {
    this.root = new Map();
  }
}

/** `remove()` that first forgets remembered series, so none is updated after prom-client dropped it. */
function forgetOnRemove<F extends (...args: never[]) => void>(index: SeriesIndex, remove: F): F {
  return ((...args: Parameters<F>) => {
    index.forget();
    remove(...args);
  }) as F;
}

/** A prom-client Counter (no exemplars) with remembered label sets. */
export class RememberedCounter<T extends string = string> extends client.Counter<T> {
  private readonly index = new SeriesIndex(this as unknown as Internals);

  constructor(config: client.CounterConfiguration<T>) {
    super(config);
    const slow = this.inc.bind(this) as (labels?: unknown, value?: number) => void;
    const hasLabels = (config.labelNames?.length ?? 0) > 0;
    // prom-client assigns `inc` in its constructor (with or without exemplars), so it is replaced here too.
    this.inc = ((labels?: Labels | number, value?: number): void => {
      if (hasLabels && typeof labels === 'object' && labels !== null) {
        const v = value ?? 1;
        if (typeof v === 'number' && Number.isFinite(v) && v >= 0) {
          const entry = this.index.find(labels);
          if (entry) {
            (entry as unknown as { value: number }).value += v;
            return;
          }
          slow(labels, value);
          this.index.remember(labels);
          return;
        }
      }
      slow(labels, value);
    }) as client.Counter<T>['inc'];
    this.remove = forgetOnRemove(this.index, this.remove.bind(this));
  }
}

/** A prom-client Histogram with exemplars enabled and remembered label sets. */
export class RememberedHistogram<T extends string = string> extends client.Histogram<T> {
  private readonly index = new SeriesIndex(this as unknown as Internals);

  constructor(config: client.HistogramConfiguration<T>) {
    super({ ...config, enableExemplars: true });
    const slow = this.observe.bind(this) as (arg: unknown, value?: number) => void;
    const bounds = (this as unknown as { upperBounds: number[] }).upperBounds;
    // prom-client keys buckets by the bound as a property name: converted once here, not per call.
    const keys = bounds.map(String);
    const hasLabels = (config.labelNames?.length ?? 0) > 0;
    this.observe = ((
      arg: { labels?: Labels; value: number; exemplarLabels?: Labels } | Labels | number,
      value?: number,
    ): void => {
      // The exemplar form `observe({ labels, value })`; with exemplar labels, prom-client records them.
      const o = arg as { labels?: Labels; value?: unknown; exemplarLabels?: Labels } | undefined;
      if (
        hasLabels &&
        value === undefined &&
        o &&
        typeof o === 'object' &&
        o.labels &&
        o.exemplarLabels === undefined &&
        typeof o.value === 'number' &&
        Number.isFinite(o.value)
      ) {
        const entry = this.index.find(o.labels) as
          { sum: number; count: number; bucketValues: Record<string, number> } | undefined;
        if (entry) {
          const v = o.value;
          entry.sum += v;
          entry.count += 1;
          // prom-client counts an observation in the first bucket it fits; above the last bound only +Inf (count).
          for (let i = 0; i < bounds.length; i++) {
            if (v <= bounds[i]) {
              entry.bucketValues[keys[i]] += 1;
              break;
            }
          }
          return;
        }
        slow(arg, value);
        this.index.remember(o.labels);
        return;
      }
      slow(arg, value);
    }) as client.Histogram<T>['observe'];
    this.remove = forgetOnRemove(this.index, this.remove.bind(this));
  }
}
