import {
  type ApplicationConfig,
  inject,
  isDevMode,
  provideAppInitializer,
  provideBrowserGlobalErrorListeners,
} from '@angular/core';
import { provideRouter, withComponentInputBinding } from '@angular/router';
import { provideTransloco } from '@jsverse/transloco';
import { routes } from './app.routes';
import { CONSOLE_CONFIG, readConsoleConfig } from './core/console-config';
import { FetchTranslocoLoader } from './core/i18n/transloco-loader';
import { LanguageService } from './core/i18n/language.service';
import { ThemeService } from './core/theme/theme.service';

/** Zoneless (Angular 21's default): signals drive change detection. */
export const appConfig: ApplicationConfig = {
  providers: [
    provideBrowserGlobalErrorListeners(),
    provideRouter(routes, withComponentInputBinding()),
    { provide: CONSOLE_CONFIG, useFactory: () => readConsoleConfig() },
    provideTransloco({
      config: {
        availableLangs: ['en', 'zh-CN'],
        defaultLang: 'en',
        fallbackLang: 'en',
        reRenderOnLangChange: true,
        missingHandler: { useFallbackTranslation: true, logMissingKey: isDevMode() },
        prodMode: !isDevMode(),
      },
      loader: FetchTranslocoLoader,
    }),
    provideAppInitializer(() => {
      inject(ThemeService).init();
      inject(LanguageService).init();
    }),
  ],
};
