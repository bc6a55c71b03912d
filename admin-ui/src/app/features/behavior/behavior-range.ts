import { computed, type Signal } from '@angular/core';
import { resolveRange } from '../usage/range';

/** The day range the URL asks for (`from`/`to`, whole UTC days, both inclusive), else the last 30 days and why. */
export function rangeOf(state: Signal<{ from: string; to: string }>) {
  return computed(() => resolveRange(state().from, state().to, Date.now()));
}

/** Names of a comma-separated URL list, trimmed, empty ones left out. */
export function listOf(value: string): string[] {
  return value
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean);
}

/** A share 0..1 as a percentage with one decimal, in the UI language. */
export function percent(rate: number, locale: string): string {
  return (rate * 100).toLocaleString(locale, { minimumFractionDigits: 1, maximumFractionDigits: 1 }) + '%';
}

/** Table styling shared by the behavior screens' plain tables (dynamic columns, so not mat-table). */
export const TABLE_STYLES = `
  table.data-table { border-collapse: collapse; width: 100%; }
  table.data-table caption { text-align: start; font: var(--mat-sys-title-small); padding: 8px 0; }
  table.data-table th, table.data-table td { padding: 6px 10px; border-bottom: 1px solid var(--mat-sys-outline-variant); text-align: start; }
  table.data-table .num { text-align: end; font-variant-numeric: tabular-nums; }
  table.data-table th.mono { white-space: nowrap; }
`;

/** Steps in the URL: each name URI-encoded, joined by commas (so a comma inside a name survives). */
export function encodeSteps(steps: string[]): string {
  return steps.map((s) => encodeURIComponent(s)).join(',');
}

export function decodeSteps(value: string): string[] {
  return value.split(',').map((s) => {
    try {
      return decodeURIComponent(s);
    } catch {
      return s;
    }
  });
}

/** A duration in ms as the largest whole unit (`2h`, `7d`), for windows and gaps. */
export function formatDuration(ms: number | null): string {
  if (ms === null) return '—';
  if (ms >= 86_400_000) return `${Math.round((ms / 86_400_000) * 10) / 10} d`;
  if (ms >= 3_600_000) return `${Math.round((ms / 3_600_000) * 10) / 10} h`;
  if (ms >= 60_000) return `${Math.round((ms / 60_000) * 10) / 10} min`;
  return `${Math.round(ms / 1000)} s`;
}
