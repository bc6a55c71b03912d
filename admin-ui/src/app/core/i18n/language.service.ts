import { Injectable, inject, signal } from '@angular/core';
import { TranslocoService } from '@jsverse/transloco';

export const LANGUAGES = ['en', 'zh-CN'] as const;
export type Language = (typeof LANGUAGES)[number];
const KEY = 'aihub.console.lang';

/** The browser's preferred language mapped onto the console's (zh-* → zh-CN, else en). */
export function preferredLanguage(stored: string | null, browser: readonly string[]): Language {
  if (stored && (LANGUAGES as readonly string[]).includes(stored)) return stored as Language;
  return browser.some((l) => l.toLowerCase().startsWith('zh')) ? 'zh-CN' : 'en';
}

/** The UI language: switched at runtime, remembered in localStorage, reflected in <html lang>. */
@Injectable({ providedIn: 'root' })
export class LanguageService {
  private readonly transloco = inject(TranslocoService);
  readonly current = signal<Language>(
    preferredLanguage(localStorage.getItem(KEY), navigator.languages ?? [navigator.language]),
  );

  /** Applies the remembered (or browser) language; called once at start-up. */
  init(): void {
    this.use(this.current());
  }

  use(lang: Language): void {
    localStorage.setItem(KEY, lang);
    this.current.set(lang);
    document.documentElement.lang = lang;
    this.transloco.setActiveLang(lang);
  }
}
