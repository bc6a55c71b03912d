import { ChangeDetectionStrategy, Component, inject } from '@angular/core';
import { TranslocoDirective } from '@jsverse/transloco';
import { SessionService } from '../../core/session/session.service';

/** `/home`: who you are, where you work, and what your role lets you do. */
@Component({
  selector: 'app-home',
  imports: [TranslocoDirective],
  template: `
    <section class="page" *transloco="let t">
      <div class="page-header"><h1>{{ t('home.title') }}</h1></div>
      @if (session.me(); as me) {
        <p>{{ t('home.signedInAs', { email: me.user?.email ?? me.principal.subject }) }}</p>
        @if (me.tenant) {
          <p>{{ t('home.tenant', { name: me.tenant.name, plan: me.tenant.plan }) }}</p>
        }
        <p data-testid="home-role">{{ t('home.role', { role: session.role() ?? '—' }) }}</p>
      }
    </section>
  `,
  changeDetection: ChangeDetectionStrategy.OnPush,
})
export class Home {
  readonly session = inject(SessionService);
}
