import { ChangeDetectionStrategy, Component, computed, inject } from '@angular/core';
import { MatButtonModule } from '@angular/material/button';
import { MatFormFieldModule } from '@angular/material/form-field';
import { MatInputModule } from '@angular/material/input';
import { MatSelectModule } from '@angular/material/select';
import { MatTableModule } from '@angular/material/table';
import { TranslocoDirective } from '@jsverse/transloco';
import { ApiClient } from '../../core/api/api-client';
import { LocalDatePipe } from '../../core/i18n/local-date.pipe';
import { CursorPaginator } from '../../shared/list-page/cursor-paginator';
import { cursorPaging } from '../../shared/list-page/cursor-paging';
import { listResource } from '../../shared/list-page/list-resource';
import { urlState } from '../../shared/list-page/url-state';
import { PageState } from '../../shared/page-state/page-state';
import { StackedTable } from '../../shared/stacked-table/stacked-table';
import { livePoll } from '../monitor/live-poll';
import { OpsTabs } from './ops-tabs';
import { OUTCOME_GLYPHS, eventsQuery, type Outcome } from './ops-view';
import { ACTIONS, OUTCOMES } from './rule-form';

/** How often the decision log refreshes while the tab is visible. */
const REFRESH_MS = 5000;

/**
 * `/ops/events` (platform admins): the engine's decision log — every decision and manual change with
 * its outcome (acted, dry run, capped, failed), reason and the catalog revision its routing change made
 * (listed on the Models screen), newest first. The filters the API supports
 * (rule, action, outcome) and the page live in the URL; the page refreshes every few seconds while the
 * tab is visible, in place (no loading flash over rows already shown).
 */
@Component({
  selector: 'app-ops-events',
  imports: [
    MatButtonModule,
    MatFormFieldModule,
    MatInputModule,
    MatSelectModule,
    MatTableModule,
    TranslocoDirective,
    LocalDatePipe,
    PageState,
    CursorPaginator,
    StackedTable,
    OpsTabs,
  ],
  template: `
    <section class="page" *transloco="let t" aria-labelledby="ops-title">
      <div class="page-header">
        <h1 id="ops-title">{{ t('ops.title') }}</h1>
      </div>
      <app-ops-tabs />
      <form
        class="toolbar-row"
        role="search"
        [attr.aria-label]="t('ops.events.filters')"
        (submit)="$event.preventDefault(); apply(rule.value)"
      >
        <mat-form-field subscriptSizing="dynamic">
          <mat-label>{{ t('ops.events.rule') }}</mat-label>
          <input matInput #rule name="rule" [value]="url.state().rule" data-testid="ops-events-rule" />
        </mat-form-field>
        <mat-form-field subscriptSizing="dynamic">
          <mat-label>{{ t('ops.events.action') }}</mat-label>
          <mat-select
            [value]="url.state().action"
            (selectionChange)="filter({ action: $event.value })"
            data-testid="ops-events-action"
          >
            <mat-option value="">{{ t('common.all') }}</mat-option>
            @for (a of actions; track a) {
              <mat-option [value]="a">{{ t('ops.actions.' + a) }}</mat-option>
            }
          </mat-select>
        </mat-form-field>
        <mat-form-field subscriptSizing="dynamic">
          <mat-label>{{ t('ops.events.outcome') }}</mat-label>
          <mat-select
            [value]="url.state().outcome"
            (selectionChange)="filter({ outcome: $event.value })"
            data-testid="ops-events-outcome"
          >
            <mat-option value="">{{ t('common.all') }}</mat-option>
            @for (o of outcomes; track o) {
              <mat-option [value]="o">{{ glyph(o) }} {{ t('ops.outcomes.' + o) }}</mat-option>
            }
          </mat-select>
        </mat-form-field>
        <button mat-flat-button type="submit" data-testid="ops-events-apply">{{ t('common.apply') }}</button>
        <button mat-button type="button" (click)="clear()">{{ t('common.clear') }}</button>
      </form>
      <p class="muted" role="status" data-testid="ops-events-status">
        {{ poll.paused() ? t('ops.paused') : t('ops.autoRefresh', { seconds: refreshSeconds }) }}
      </p>

      <app-page-state
        [loading]="list.loading() && !list.items().length"
        [error]="list.error()"
        [empty]="list.empty()"
        [emptyText]="t('ops.events.empty')"
        (retry)="list.reload()"
      />

      @if (list.items().length) {
        <table
          mat-table
          appStackedTable
          [dataSource]="list.items()"
          [attr.aria-label]="t('ops.tabs.events')"
          data-testid="ops-events-table"
        >
          <ng-container matColumnDef="created_at">
            <th mat-header-cell *matHeaderCellDef scope="col">{{ t('ops.events.time') }}</th>
            <td mat-cell *matCellDef="let e">{{ e.created_at | localDate }}</td>
          </ng-container>
          <ng-container matColumnDef="rule">
            <th mat-header-cell *matHeaderCellDef scope="col">{{ t('ops.events.rule') }}</th>
            <td mat-cell *matCellDef="let e" class="mono">{{ e.rule }}</td>
          </ng-container>
          <ng-container matColumnDef="action">
            <th mat-header-cell *matHeaderCellDef scope="col">{{ t('ops.events.action') }}</th>
            <td mat-cell *matCellDef="let e">{{ t('ops.actions.' + e.action) }}</td>
          </ng-container>
          <ng-container matColumnDef="target">
            <th mat-header-cell *matHeaderCellDef scope="col">{{ t('ops.events.target') }}</th>
            <td mat-cell *matCellDef="let e" class="mono">{{ e.target ?? '—' }}</td>
          </ng-container>
          <ng-container matColumnDef="outcome">
            <th mat-header-cell *matHeaderCellDef scope="col">{{ t('ops.events.outcome') }}</th>
            <td mat-cell *matCellDef="let e" [class]="'outcome ' + e.outcome" [attr.data-outcome]="e.outcome">
              <span aria-hidden="true">{{ glyph(e.outcome) }}</span> {{ t('ops.outcomes.' + e.outcome) }}
            </td>
          </ng-container>
          <ng-container matColumnDef="reason">
            <th mat-header-cell *matHeaderCellDef scope="col">{{ t('ops.events.reason') }}</th>
            <td mat-cell *matCellDef="let e" class="reason" data-testid="ops-event-reason">
              {{ e.reason }}
              @if (e.error) {
                <br /><span class="error-text">{{ t('ops.events.error') }}: {{ e.error }}</span>
              }
            </td>
          </ng-container>
          <ng-container matColumnDef="revision">
            <th mat-header-cell *matHeaderCellDef scope="col">{{ t('ops.events.revision') }}</th>
            <!-- The number only: the Models screen's revisions have no deep link to one revision's diff. -->
            <td
              mat-cell
              *matCellDef="let e"
              class="num"
              data-testid="ops-event-revision"
              [attr.title]="e.revision !== null ? t('ops.events.revisionHint', { n: e.revision }) : null"
            >
              {{ e.revision !== null ? '#' + e.revision : '—' }}
            </td>
          </ng-container>
          <ng-container matColumnDef="instance">
            <th mat-header-cell *matHeaderCellDef scope="col">{{ t('ops.events.instance') }}</th>
            <td mat-cell *matCellDef="let e" class="mono">{{ e.instance }}</td>
          </ng-container>
          <tr mat-header-row *matHeaderRowDef="columns"></tr>
          <tr
            mat-row
            *matRowDef="let e; columns: columns"
            [attr.data-event]="e.id"
            [attr.data-rule]="e.rule"
            [attr.data-action]="e.action"
          ></tr>
        </table>
      }
      <app-cursor-paginator
        [limit]="url.state().limit"
        [hasNext]="!!list.nextCursor()"
        [hasPrevious]="!!url.state().cursor"
        (next)="paging.next()"
        (previous)="paging.previous()"
        (first)="paging.first()"
        (limitChange)="paging.pageSize($event)"
      />
    </section>
  `,
  styles: `
    .reason {
      max-width: 420px;
      overflow-wrap: anywhere;
    }
    .outcome.failed {
      color: var(--mat-sys-error);
    }
  `,
  changeDetection: ChangeDetectionStrategy.OnPush,
})
export class OpsEvents {
  private readonly api = inject(ApiClient);
  readonly actions = ACTIONS;
  readonly outcomes = OUTCOMES;
  readonly refreshSeconds = REFRESH_MS / 1000;
  readonly columns = ['created_at', 'rule', 'action', 'target', 'outcome', 'reason', 'revision', 'instance'];

  readonly url = urlState({ rule: '', action: '', outcome: '', cursor: '', limit: 25 });
  private readonly query = computed(() => eventsQuery(this.url.state()), {
    equal: (a, b) => JSON.stringify(a) === JSON.stringify(b),
  });
  readonly list = listResource(this.query, (query) =>
    this.api.call(this.api.client.GET('/admin/v1/ops/events', { params: { query } })),
  );
  readonly paging = cursorPaging(this.url, this.list);
  // The list loads itself when the URL changes; the poll only refreshes (its first, immediate run is skipped).
  private polled = false;
  readonly poll = livePoll(
    () => (this.polled ? this.list.reload() : Promise.resolve(void (this.polled = true))),
    () => REFRESH_MS,
  );

  glyph(outcome: string): string {
    return OUTCOME_GLYPHS[outcome as Outcome] ?? '';
  }

  apply(rule: string): void {
    this.filter({ rule: rule.trim() });
  }

  filter(change: { rule?: string; action?: string; outcome?: string }): void {
    this.paging.reset(change);
  }

  clear(): void {
    this.paging.reset({ rule: '', action: '', outcome: '' });
  }
}
