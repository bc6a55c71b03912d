import { ChangeDetectionStrategy, Component, inject } from '@angular/core';
import { toSignal } from '@angular/core/rxjs-interop';
import { ActivatedRoute } from '@angular/router';
import { TranslocoDirective } from '@jsverse/transloco';
import { SessionService } from '../../core/session/session.service';

/** `/home`: who you are, where you work, and what your role lets you do. */
@Component({
  selector: 'app-home',
  imports: [TranslocoDirective],
  template: `
    <section class="page" *transloco="let t">
      <div class="page-header">
        <h1>{{ t('home.title') }}</h1>
      </div>
      @if (denied(); as path) {
        <p class="denied" role="alert" data-testid="home-denied">
          {{ t('home.denied', { path, role: session.role() ?? '—' }) }}
        </p>
      }
      @if (session.me(); as me) {
        <p>{{ t('home.signedInAs', { email: me.user?.email ?? me.principal.subject }) }}</p>
        @if (me.tenant) {
          <p>{{ t('home.tenant', { name: me.tenant.name, plan: me.tenant.plan }) }}</p>
        }
        <p data-testid="home-role">{{ t('home.role', { role: session.role() ?? '—' }) }}</p>
      }
    </section>
  `,
  styles: `
    .denied {
      padding: 12px 16px;
      border-radius: 8px;
      background: var(--mat-sys-error-container);
      color: var(--mat-sys-on-error-container);
      max-width: 720px;
    }
  `,
  changeDetection: ChangeDetectionStrategy.OnPush,
})
export class Home {
  readonly session = inject(SessionService);
  private readonly params = toSignal(inject(ActivatedRoute).queryParamMap);
  /** The screen a guard refused (auth.guard.ts puts it in `?denied=`). */
  readonly denied = () => {
    const p = this.params()?.get('denied');
    return p && p.startsWith('/') ? p : null;
  };
}
