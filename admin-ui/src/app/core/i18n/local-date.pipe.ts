import { Pipe, type PipeTransform, inject } from '@angular/core';
import { LanguageService } from './language.service';

/**
 * A date in the user's language and time zone (`| localDate`), or in UTC with the zone named
 * (`| localDate: 'utc'`) where ranges matter; `| localDate: 'local' : 'date'` drops the time of day
 * (narrow table columns). Impure so a language switch re-renders it.
 */
@Pipe({ name: 'localDate', pure: false })
export class LocalDatePipe implements PipeTransform {
  private readonly lang = inject(LanguageService);

  transform(
    value: string | number | Date | null | undefined,
    zone: 'local' | 'utc' = 'local',
    style: 'datetime' | 'date' = 'datetime',
  ): string {
    if (value === null || value === undefined || value === '') return '—';
    const date = new Date(value);
    if (Number.isNaN(date.getTime())) return '—';
    return style === 'date' ? formatDay(date, this.lang.current(), zone) : formatDate(date, this.lang.current(), zone);
  }
}

export function formatDate(date: Date, locale: string, zone: 'local' | 'utc'): string {
  return new Intl.DateTimeFormat(locale, {
    dateStyle: 'medium',
    timeStyle: zone === 'utc' ? 'long' : 'short',
    ...(zone === 'utc' ? { timeZone: 'UTC' } : {}),
  }).format(date);
}

/** The day only, e.g. `Dec 7, 2026` / `2026年12月7日`. */
export function formatDay(date: Date, locale: string, zone: 'local' | 'utc'): string {
  return new Intl.DateTimeFormat(locale, {
    dateStyle: 'medium',
    ...(zone === 'utc' ? { timeZone: 'UTC' } : {}),
  }).format(date);
}
