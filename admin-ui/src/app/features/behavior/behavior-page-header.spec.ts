import { Component, signal } from '@angular/core';
import { TestBed } from '@angular/core/testing';
import { provideRouter } from '@angular/router';
import { TranslocoTestingModule } from '@jsverse/transloco';
import type { DayRange } from '../usage/range';
import { BehaviorPageHeader } from './behavior-page-header';

const en = {
  common: { apply: 'Apply' },
  behavior: {
    title: 'Behavior',
    tabs: { label: 'Behavior screens', trends: 'Trends', funnels: 'Funnels', retention: 'Retention', users: 'Users' },
    range: {
      form: 'Date range',
      from: 'From',
      to: 'To',
      utc: '{{ from }} to {{ to }} (UTC)',
      problem: { reversed: 'From is after to.' },
    },
    interval: { day: 'Day', week: 'Week', month: 'Month' },
  },
};

@Component({
  imports: [BehaviorPageHeader],
  template: `
    <app-behavior-page-header
      titleId="x-title"
      subtitle="Retention"
      [range]="range()"
      [problem]="problem()"
      [intervals]="['day', 'week', 'month']"
      [interval]="interval()"
      intervalLabel="Cohort by"
      intervalTestId="x-interval"
      (apply)="applied.push($event)"
      (intervalChange)="interval.set($event)"
    >
      <span data-testid="projected">extra field</span>
    </app-behavior-page-header>
  `,
})
class Host {
  readonly range = signal<DayRange>({ from: '2026-01-01', to: '2026-01-31' });
  readonly problem = signal<string | null>(null);
  readonly interval = signal('week');
  readonly applied: DayRange[] = [];
}

async function render() {
  TestBed.configureTestingModule({
    imports: [
      Host,
      TranslocoTestingModule.forRoot({
        langs: { en },
        translocoConfig: { availableLangs: ['en'], defaultLang: 'en' },
        preloadLangs: true,
      }),
    ],
    providers: [provideRouter([])],
  });
  const fixture = TestBed.createComponent(Host);
  await fixture.whenStable();
  return { fixture, el: fixture.nativeElement as HTMLElement, host: fixture.componentInstance };
}

describe('BehaviorPageHeader', () => {
  it('shows the title (with the id the page is labelled by), the tabs, the subtitle and the range', async () => {
    const { el } = await render();
    const h1 = el.querySelector('h1')!;
    expect(h1.id).toBe('x-title');
    expect(h1.textContent?.trim()).toBe('Behavior');
    expect(el.querySelector('[data-testid=behavior-subtitle]')?.textContent?.trim()).toBe('Retention');
    expect([...el.querySelectorAll('[data-testid^=behavior-tab-]')].map((a) => a.textContent?.trim())).toEqual([
      'Trends',
      'Funnels',
      'Retention',
      'Users',
    ]);
    expect((el.querySelector('[data-testid=behavior-from]') as HTMLInputElement).value).toBe('2026-01-01');
    expect(el.querySelector('[data-testid=behavior-range]')?.textContent).toContain('2026-01-01 to 2026-01-31 (UTC)');
    expect(el.querySelector('[role=alert]')).toBeNull();
  });

  it('projects the screen’s own fields into the toolbar row beside the interval', async () => {
    const { el } = await render();
    const row = el.querySelector('[data-testid=x-interval]')!.closest('.toolbar-row')!;
    expect(row.querySelector('[data-testid=projected]')?.textContent).toBe('extra field');
  });

  it('emits the typed range on Apply and shows a range problem', async () => {
    const { fixture, el, host } = await render();
    (el.querySelector('[data-testid=behavior-to]') as HTMLInputElement).value = '2026-02-10';
    (el.querySelector('[data-testid=behavior-apply]') as HTMLButtonElement).click();
    expect(host.applied).toEqual([{ from: '2026-01-01', to: '2026-02-10' }]);
    host.problem.set('reversed');
    await fixture.whenStable();
    expect(el.querySelector('[role=alert]')?.textContent?.trim()).toBe('From is after to.');
  });

  it('labels the interval select and emits the chosen interval', async () => {
    const { fixture, el, host } = await render();
    const select = el.querySelector('[data-testid=x-interval]') as HTMLElement;
    expect(select.closest('mat-form-field')?.querySelector('mat-label')?.textContent?.trim()).toBe('Cohort by');
    expect(select.textContent?.trim()).toBe('Week');
    select.click();
    await fixture.whenStable();
    const month = [...document.querySelectorAll('mat-option')].find(
      (o) => o.textContent?.trim() === 'Month',
    ) as HTMLElement;
    month.click();
    await fixture.whenStable();
    expect(host.interval()).toBe('month');
    expect(select.textContent?.trim()).toBe('Month');
  });
});
