import { ChangeDetectionStrategy, Component, inject } from '@angular/core';
import { TranslocoDirective } from '@jsverse/transloco';
import { MatButtonModule } from '@angular/material/button';
import { AuthService } from '../../core/auth/auth.service';

/** `/signed-out`: where the authorization server's logout returns. */
@Component({
  selector: 'app-signed-out',
  imports: [TranslocoDirective, MatButtonModule],
  template: `
    <main class="centered" *transloco="let t">
      <h1>{{ t('auth.signedOutTitle') }}</h1>
      <p>{{ t('auth.signedOutText') }}</p>
      <button mat-flat-button type="button" (click)="signIn()">{{ t('auth.signIn') }}</button>
    </main>
  `,
  styles: `
    .centered {
      display: flex;
      flex-direction: column;
      align-items: center;
      justify-content: center;
      min-height: 100vh;
      gap: 8px;
    }
  `,
  changeDetection: ChangeDetectionStrategy.OnPush,
})
export class SignedOut {
  private readonly auth = inject(AuthService);

  signIn(): void {
    void this.auth.signIn('/');
  }
}
