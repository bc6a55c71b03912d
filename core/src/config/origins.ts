import { formatPath } from './problems';

/**
 * Where a config value came from when the environment produced it: the names of the variables, never
 * their values (a value may be a secret). `${A}`, `${A:-default}` and `${A}/${B}` in the file, or an
 * environment override (`AIHUB_PORT`, `AIHUB__SERVER__HOST`).
 */
export interface EnvOrigin {
  /** Every variable the value was built from, in the order written (`${A}/${B}` → `['A', 'B']`). */
  readonly vars: readonly string[];
  /** Those of `vars` that were unset or empty when the config was loaded (their default, if any, stood in). */
  readonly empty: readonly string[];
}

/**
 * A config path: segments (`['providers', 'my-openai', 'apiKey']`, `['list', 0]`) or written out the
 * way problems print them (`providers.my-openai.apiKey`, `list[0]`). Use segments when a key may hold
 * a `.` or `[`.
 */
export type ConfigPath = string | readonly (string | number)[];

/** Answers `ctx.configOrigin(path)`: the origin of a value at `path`, or undefined when the file wrote it as is. */
export type ConfigOriginLookup = (path: ConfigPath) => EnvOrigin | undefined;

const written = (path: ConfigPath): string => (typeof path === 'string' ? path : formatPath(path));

/** Joins a written-out prefix (`plugins[2].config`) and a relative path (`providers.x` or `[0]`). */
const join = (prefix: string, rel: string): string =>
  !prefix ? rel : !rel ? prefix : rel.startsWith('[') ? `${prefix}${rel}` : `${prefix}.${rel}`;

/**
 * The environment origins of one loaded config, by written-out path (a small map: only values an env
 * reference or override produced are in it). Filled by `loadConfig`; read through `ctx.configOrigin`.
 */
export class ConfigOrigins {
  private byPath = new Map<string, EnvOrigin>();

  /** Records the origin of the value at `path`, replacing what was under it (an override wins over the file). */
  record(path: readonly PropertyKey[], origin: EnvOrigin): void {
    this.forget(path);
    this.byPath.set(formatPath(path), origin);
  }

  /** Forgets the origins at and under `path` (a value set by something else, such as `--port`). */
  forget(path: readonly PropertyKey[]): void {
    const at = formatPath(path);
    for (const key of this.byPath.keys())
      if (key === at || key.startsWith(`${at}.`) || key.startsWith(`${at}[`)) this.byPath.delete(key);
  }

  get(path: ConfigPath): EnvOrigin | undefined {
    return this.byPath.get(written(path));
  }

  /** A lookup relative to `prefix` (`['plugins', 2, 'config']`: a plugin's view of its own config). */
  under(prefix: readonly PropertyKey[]): ConfigOriginLookup {
    const at = formatPath(prefix);
    // Reads the map at call time, so a reload's replaceWith is seen by lookups made before it.
    return (path) => this.byPath.get(join(at, written(path)));
  }

  /** Takes another load's origins (a config reload that was applied). */
  replaceWith(other: ConfigOrigins): void {
    if (other !== this) this.byPath = new Map(other.byPath);
  }

  /** Every recorded path and its origin, in the order recorded. */
  entries(): IterableIterator<[string, EnvOrigin]> {
    return this.byPath.entries();
  }

  get size(): number {
    return this.byPath.size;
  }
}

/** The lookup of a context that has no loaded config behind it (nothing came from the environment). */
export const noConfigOrigin: ConfigOriginLookup = () => undefined;
