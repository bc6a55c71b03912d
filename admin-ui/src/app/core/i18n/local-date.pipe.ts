import { Pipe, type PipeTransform, inject } from '@angular/core';
import { LanguageService } from './language.service';

/**
 * A date in the user's language and time zone (`| localDate`), or in UTC with the zone named
 * (`| localDate: 'utc'`) where ranges matter. Impure so a language switch re-renders it.
 */
@Pipe({ name: 'localDate', pure: false })
export class LocalDatePipe implements PipeTransform {
  private readonly lang = inject(LanguageService);

  transform(value: string | number | Date | null | undefined, zone: 'local' | 'utc' = 'local'): string {
    if (value === null || value === undefined || value === '') return '—';
    const date = new Date(value);
    if (Number.isNaN(date.getTime())) return '—';
    return formatDate(date, this.lang.current(), zone);
  }
}

export function formatDate(date: Date, locale: string, zone: 'local' | 'utc'): string {
  return new Intl.DateTimeFormat(locale, {
    dateStyle: 'medium',
    timeStyle: zone === 'utc' ? 'long' : 'short',
    ...(zone === 'utc' ? { timeZone: 'UTC' } : {}),
  }).format(date);
}
