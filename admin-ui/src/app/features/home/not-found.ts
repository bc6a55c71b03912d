import { ChangeDetectionStrategy, Component } from '@angular/core';
import { RouterLink } from '@angular/router';
import { TranslocoDirective } from '@jsverse/transloco';

/** Any unknown console URL. */
@Component({
  selector: 'app-not-found',
  imports: [TranslocoDirective, RouterLink],
  template: `
    <section class="page" *transloco="let t">
      <h1>{{ t('notFound.title') }}</h1>
      <p>
        <a routerLink="/home">{{ t('notFound.home') }}</a>
      </p>
    </section>
  `,
  changeDetection: ChangeDetectionStrategy.OnPush,
})
export class NotFound {}
