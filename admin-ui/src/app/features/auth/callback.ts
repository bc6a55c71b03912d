import { ChangeDetectionStrategy, Component, inject, signal, type OnInit } from '@angular/core';
import { Router } from '@angular/router';
import { TranslocoDirective } from '@jsverse/transloco';
import { MatButtonModule } from '@angular/material/button';
import { MatProgressSpinnerModule } from '@angular/material/progress-spinner';
import { AuthService } from '../../core/auth/auth.service';

/** `/callback`: the authorization server's redirect target; exchanges the code and goes back. */
@Component({
  selector: 'app-callback',
  imports: [TranslocoDirective, MatButtonModule, MatProgressSpinnerModule],
  template: `
    <main class="centered" *transloco="let t">
      @if (error(); as message) {
        <h1>{{ t('auth.failedTitle') }}</h1>
        <p role="alert" class="error-text">{{ message }}</p>
        <button mat-flat-button type="button" (click)="retry()">{{ t('auth.signInAgain') }}</button>
      } @else {
        <mat-spinner diameter="40" [attr.aria-label]="t('auth.signingIn')" />
        <p role="status">{{ t('auth.signingIn') }}</p>
      }
    </main>
  `,
  styles: `
    .centered {
      display: flex;
      flex-direction: column;
      align-items: center;
      justify-content: center;
      min-height: 100vh;
      gap: 16px;
    }
  `,
  changeDetection: ChangeDetectionStrategy.OnPush,
})
export class Callback implements OnInit {
  private readonly auth = inject(AuthService);
  private readonly router = inject(Router);
  readonly error = signal<string | null>(null);

  async ngOnInit(): Promise<void> {
    try {
      const returnUrl = await this.auth.completeSignIn(new URLSearchParams(location.search));
      await this.router.navigateByUrl(returnUrl, { replaceUrl: true });
    } catch (err) {
      this.error.set(err instanceof Error ? err.message : String(err));
    }
  }

  retry(): void {
    void this.auth.signIn('/');
  }
}
