import type { Context } from 'koa';

/**
 * A typed slot in the per-request state. Keys are created once at module load; creating two keys
 * with the same name throws, so two plugins can never silently share (or clobber) a slot.
 * Plugins keep private state with keys they do not export, and share state through exported keys.
 */
export interface StateKey<T> {
  readonly name: string;
  get(ctx: Context): T | undefined;
  /** Like get, but throws when the slot is empty (a pipeline ordering bug, not a client error). */
  require(ctx: Context): T;
  set(ctx: Context, value: T): void;
  has(ctx: Context): boolean;
}

const registered = new Set<string>();

export function defineStateKey<T>(name: string): StateKey<T> {
  if (registered.has(name)) {
    throw new Error(
      `AIHUB_E_STATE_KEY_DUPLICATE: request state key "${name}" is defined twice; give each key a unique, plugin-prefixed name.`,
    );
  }
  registered.add(name);
  const sym = Symbol(name);
  return {
    name,
    get: (ctx) => (ctx.state as Record<symbol, unknown>)[sym] as T | undefined,
    require(ctx) {
      const v = (ctx.state as Record<symbol, unknown>)[sym];
      if (v === undefined) throw new Error(`request state "${name}" is not set; a hook that sets it must run earlier`);
      return v as T;
    },
    set: (ctx, value) => {
      (ctx.state as Record<symbol, unknown>)[sym] = value;
    },
    has: (ctx) => (ctx.state as Record<symbol, unknown>)[sym] !== undefined,
  };
}
