import { ChangeDetectionStrategy, Component } from '@angular/core';
import { MatTabsModule } from '@angular/material/tabs';
import { RouterLink, RouterLinkActive } from '@angular/router';
import { TranslocoDirective } from '@jsverse/transloco';

/** The three operations screens as tabs (links: each screen is its own URL with its own filters). */
@Component({
  selector: 'app-ops-tabs',
  imports: [MatTabsModule, RouterLink, RouterLinkActive, TranslocoDirective],
  template: `
    <ng-container *transloco="let t">
      <nav mat-tab-nav-bar [tabPanel]="panel" [attr.aria-label]="t('ops.tabs.label')">
        @for (tab of tabs; track tab) {
          <a
            mat-tab-link
            [routerLink]="['/ops', tab]"
            routerLinkActive
            #rla="routerLinkActive"
            [active]="rla.isActive"
            [attr.data-testid]="'ops-tab-' + tab"
            >{{ t('ops.tabs.' + tab) }}</a
          >
        }
      </nav>
      <mat-tab-nav-panel #panel />
    </ng-container>
  `,
  changeDetection: ChangeDetectionStrategy.OnPush,
})
export class OpsTabs {
  readonly tabs = ['rules', 'events', 'state'] as const;
}
