import { ChangeDetectionStrategy, Component } from '@angular/core';
import { TranslocoDirective } from '@jsverse/transloco';

@Component({
  selector: 'app-audit',
  imports: [TranslocoDirective],
  template: `<section class="page" *transloco="let t"><h1>{{ t('audit.title') }}</h1></section>`,
  changeDetection: ChangeDetectionStrategy.OnPush,
})
export class AuditList {}
