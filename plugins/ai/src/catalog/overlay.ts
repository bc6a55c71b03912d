import { aiConfig, type AiConfig } from '../config';
import { controlSchema, emptyControl, flattenControl, type ControlState } from './controlState';
import { maskSecret, type CredentialSealer, type Sealed } from './crypto';

/**
 * The catalog's API overlay: entries created or changed through the admin API, over the config
 * file's. Precedence, per entry: the overlay wins (it replaces the file's entry of the same name
 * whole); an overlay entry `{ disabled: true }` hides a file entry. The API never deletes a file
 * entry: removing the overlay entry brings the file's back. Why this way round: a change made in an
 * incident (a deployment taken out, a price fixed) must survive a reload of an unchanged file, and
 * every override is listed with `source: api` and `overrides_file: true`, so it is visible and undone
 * with one DELETE.
 */
export interface Overlay {
  providers: Record<string, StoredEntry>;
  models: Record<string, StoredEntry>;
  /** By experiment name (the file's list is matched by `name`). */
  experiments: Record<string, StoredEntry>;
  pricing: Record<string, StoredEntry>;
  /** Drains, weight overrides, forced breakers, fallback switches (see controlState.ts): routing state in the same history. */
  control: ControlState;
}

export const SECTIONS = ['providers', 'models', 'experiments', 'pricing'] as const;
export type Section = (typeof SECTIONS)[number];

/** An entry as stored: the config input, with a provider's apiKey sealed (`apiKeySealed`, `apiKeyMask`). */
export type StoredEntry = Record<string, unknown> & { disabled?: true; apiKeySealed?: Sealed; apiKeyMask?: string };

export const emptyOverlay = (): Overlay => ({
  providers: {},
  models: {},
  experiments: {},
  pricing: {},
  control: emptyControl(),
});

/** Sections a diff names: the entry sections and `control`. */
export const DIFF_SECTIONS = [...SECTIONS, 'control'] as const;
export type DiffSection = (typeof DIFF_SECTIONS)[number];

export interface EntrySource {
  source: 'file' | 'api';
  /** An API entry that replaces (or disables) a file entry of the same name. */
  overridesFile: boolean;
  disabled: boolean;
}

export type Sources = Record<Section, Record<string, EntrySource>>;

export type MergeResult =
  | { ok: true; config: AiConfig; sources: Sources; unreadable: string[] }
  | { ok: false; issues: { path: string; message: string }[] };

const clone = <T>(v: T): T => structuredClone(v);

/**
 * The effective ai config: the file's with the overlay applied, validated whole by the same schema
 * (references included) as the file. `unreadable` names providers whose sealed credential no
 * configured key opens (they run without one; the admin answer says so).
 */
export function mergeOverlay(file: AiConfig, overlay: Overlay, sealer: CredentialSealer): MergeResult {
  const raw = clone(file) as unknown as Record<string, unknown>;
  const sources: Sources = { providers: {}, models: {}, experiments: {}, pricing: {} };
  const unreadable: string[] = [];
  for (const section of ['providers', 'models', 'pricing'] as const) {
    const target = raw[section] as Record<string, unknown>;
    for (const name of Object.keys(target))
      sources[section][name] = { source: 'file', overridesFile: false, disabled: false };
    for (const [name, entry] of Object.entries(overlay[section])) {
      const inFile = name in target;
      sources[section][name] = { source: 'api', overridesFile: inFile, disabled: entry.disabled === true };
      if (entry.disabled) {
        delete target[name];
        continue;
      }
      const { apiKeySealed, apiKeyMask: _mask, ...value } = entry;
      if (apiKeySealed) {
        const key = sealer.open(apiKeySealed);
        if (key === undefined) unreadable.push(name);
        else value.apiKey = key;
      }
      target[name] = value;
    }
  }
  const experiments = raw.experiments as { name: string }[];
  for (const e of experiments) sources.experiments[e.name] = { source: 'file', overridesFile: false, disabled: false };
  for (const [name, entry] of Object.entries(overlay.experiments)) {
    const at = experiments.findIndex((e) => e.name === name);
    sources.experiments[name] = { source: 'api', overridesFile: at >= 0, disabled: entry.disabled === true };
    if (at >= 0) experiments.splice(at, 1);
    if (!entry.disabled) experiments.push({ ...entry, name } as { name: string });
  }
  const parsed = aiConfig.safeParse(raw);
  const control = controlSchema.safeParse(overlay.control);
  const issues = [
    ...(parsed.success ? [] : parsed.error.issues),
    ...(control.success ? [] : control.error.issues.map((i) => ({ ...i, path: ['control', ...i.path] }))),
  ];
  if (!parsed.success || issues.length)
    return { ok: false, issues: issues.map((i) => ({ path: i.path.join('.'), message: i.message })) };
  return { ok: true, config: parsed.data, sources, unreadable };
}

/**
 * Paths that differ between two overlays (`models.gpt-x`, `control.drain/<deployment>`), with before
 * and after (secrets stay sealed, shown masked).
 */
export function diffOverlays(
  before: Overlay,
  after: Overlay,
): { section: DiffSection; name: string; op: 'add' | 'remove' | 'change'; before: unknown; after: unknown }[] {
  const out: ReturnType<typeof diffOverlays> = [];
  for (const section of SECTIONS) {
    const names = [...new Set([...Object.keys(before[section]), ...Object.keys(after[section])])].sort();
    for (const name of names) {
      const a = before[section][name];
      const b = after[section][name];
      if (a && !b) out.push({ section, name, op: 'remove', before: publicEntry(a), after: null });
      else if (!a && b) out.push({ section, name, op: 'add', before: null, after: publicEntry(b) });
      else if (JSON.stringify(a) !== JSON.stringify(b))
        out.push({ section, name, op: 'change', before: publicEntry(a), after: publicEntry(b) });
    }
  }
  const [a, b] = [flattenControl(before.control), flattenControl(after.control)];
  for (const name of [...new Set([...a.keys(), ...b.keys()])].sort()) {
    const [x, y] = [a.get(name), b.get(name)];
    if (x === undefined) out.push({ section: 'control', name, op: 'add', before: null, after: y });
    else if (y === undefined) out.push({ section: 'control', name, op: 'remove', before: x, after: null });
    else if (JSON.stringify(x) !== JSON.stringify(y))
      out.push({ section: 'control', name, op: 'change', before: x, after: y });
  }
  return out;
}

/** A stored entry as answers show it: the sealed credential replaced by its mask. */
export function publicEntry(entry: StoredEntry): Record<string, unknown> {
  const { apiKeySealed, apiKeyMask, ...rest } = entry;
  return apiKeySealed ? { ...rest, apiKey: apiKeyMask ?? '…' } : rest;
}

/** A file entry as answers show it: a credential masked. */
export function publicFileEntry(value: unknown): unknown {
  if (value && typeof value === 'object' && typeof (value as { apiKey?: unknown }).apiKey === 'string') {
    const { apiKey, ...rest } = value as { apiKey: string };
    return { ...rest, apiKey: maskSecret(apiKey) };
  }
  return value;
}
