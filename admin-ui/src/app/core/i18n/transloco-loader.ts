import { Injectable } from '@angular/core';
import type { Translation, TranslocoLoader } from '@jsverse/transloco';
import { from, type Observable } from 'rxjs';

/**
 * Loads `i18n/<lang>.json` (the core strings) and `i18n/<scope>/<lang>.json` (a feature's strings,
 * requested by Transloco as `<scope>/<lang>`), relative to the base href. With fetch, not HttpClient,
 * so translation requests never pass through API interceptors.
 */
@Injectable({ providedIn: 'root' })
export class FetchTranslocoLoader implements TranslocoLoader {
  getTranslation(path: string): Observable<Translation> {
    return from(
      fetch(`i18n/${path}.json`).then((res) => {
        if (!res.ok) throw new Error(`missing translations i18n/${path}.json (${res.status})`);
        return res.json() as Promise<Translation>;
      }),
    );
  }
}
