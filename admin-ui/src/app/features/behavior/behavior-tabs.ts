import { ChangeDetectionStrategy, Component } from '@angular/core';
import { MatTabsModule } from '@angular/material/tabs';
import { RouterLink, RouterLinkActive } from '@angular/router';
import { TranslocoDirective } from '@jsverse/transloco';

/** The four behavior screens as tabs (links: each screen is its own URL; the date range carries over). */
@Component({
  selector: 'app-behavior-tabs',
  imports: [MatTabsModule, RouterLink, RouterLinkActive, TranslocoDirective],
  template: `
    <ng-container *transloco="let t">
      <nav mat-tab-nav-bar [tabPanel]="panel" [attr.aria-label]="t('behavior.tabs.label')">
        @for (tab of tabs; track tab) {
          <a
            mat-tab-link
            [routerLink]="['/behavior', tab]"
            queryParamsHandling="preserve"
            routerLinkActive
            #rla="routerLinkActive"
            [active]="rla.isActive"
            [attr.data-testid]="'behavior-tab-' + tab"
            >{{ t('behavior.tabs.' + tab) }}</a
          >
        }
      </nav>
      <mat-tab-nav-panel #panel />
    </ng-container>
  `,
  changeDetection: ChangeDetectionStrategy.OnPush,
})
export class BehaviorTabs {
  readonly tabs = ['trends', 'funnels', 'retention', 'users'] as const;
}
