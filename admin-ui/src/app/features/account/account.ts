import { ChangeDetectionStrategy, Component } from '@angular/core';
import { TranslocoDirective } from '@jsverse/transloco';

@Component({
  selector: 'app-account',
  imports: [TranslocoDirective],
  template: `<section class="page" *transloco="let t"><h1>{{ t('account.title') }}</h1></section>`,
  changeDetection: ChangeDetectionStrategy.OnPush,
})
export class Account {}
