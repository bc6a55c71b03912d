import { ChangeDetectionStrategy, Component } from '@angular/core';
import { TranslocoDirective } from '@jsverse/transloco';

@Component({
  selector: 'app-tenant-list',
  imports: [TranslocoDirective],
  template: `<section class="page" *transloco="let t"><h1>{{ t('tenants.title') }}</h1></section>`,
  changeDetection: ChangeDetectionStrategy.OnPush,
})
export class TenantList {}
