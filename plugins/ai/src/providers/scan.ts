/**
 * Reading a few fields out of a JSON answer without parsing all of it (an embeddings answer is tens
 * of kilobytes of floats; the gateway needs only `usage` and `model`).
 */

/** The JSON value (object) that follows the last `"<key>":` in the text, parsed; undefined if none. */
export function lastObject<T>(text: string, key: string): T | undefined {
  const marker = `"${key}":`;
  const at = text.lastIndexOf(marker);
  if (at === -1) return undefined;
  let i = at + marker.length;
  while (text.charCodeAt(i) === 32) i++;
  if (text.charCodeAt(i) !== 123 /* { */) return undefined;
  const end = matchBrace(text, i);
  if (end === -1) return undefined;
  try {
    return JSON.parse(text.slice(i, end + 1)) as T;
  } catch {
    return undefined;
  }
}

/** Index of the `}` closing the `{` at `start`, skipping strings; -1 when unbalanced. */
export function matchBrace(text: string, start: number): number {
  let depth = 0;
  for (let i = start; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c === 34 /* " */) {
      i++;
      while (i < text.length && text.charCodeAt(i) !== 34) {
        if (text.charCodeAt(i) === 92 /* \ */) i++;
        i++;
      }
    } else if (c === 123) depth++;
    else if (c === 125 && --depth === 0) return i;
  }
  return -1;
}

/** The string value of the first `"<key>":"…"` (values without escapes only; ids and model names). */
export function firstString(text: string, key: string): string | undefined {
  const marker = `"${key}":`;
  let at = text.indexOf(marker);
  if (at === -1) return undefined;
  at += marker.length;
  while (text.charCodeAt(at) === 32) at++;
  if (text.charCodeAt(at) !== 34) return undefined;
  const end = text.indexOf('"', at + 1);
  return end === -1 ? undefined : text.slice(at + 1, end);
}

/** Every string value of `"<key>":"…"` (finish reasons of n choices). */
export function allStrings(text: string, key: string): string[] {
  const out: string[] = [];
  const marker = `"${key}":"`;
  let at = text.indexOf(marker);
  while (at !== -1) {
    const from = at + marker.length;
    const end = text.indexOf('"', from);
    if (end === -1) break;
    out.push(text.slice(from, end));
    at = text.indexOf(marker, end);
  }
  return out;
}
