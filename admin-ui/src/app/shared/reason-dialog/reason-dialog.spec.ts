import { TestBed } from '@angular/core/testing';
import { MATERIAL_ANIMATIONS } from '@angular/material/core';
import { TranslocoTestingModule } from '@jsverse/transloco';
import { ReasonDialogService } from './reason-dialog.service';
import type { ReasonDialogOptions } from './reason-dialog';

const en = { common: { cancel: 'Cancel', required: 'Required' } };
const options: ReasonDialogOptions = {
  title: 'Drain primary?',
  message: 'Routing skips primary.',
  reasonLabel: 'Reason',
  reasonHint: 'Kept with the drain',
  confirmLabel: 'Drain',
  max: 500,
};

function setup() {
  TestBed.configureTestingModule({
    imports: [
      TranslocoTestingModule.forRoot({
        langs: { en },
        translocoConfig: { availableLangs: ['en'], defaultLang: 'en' },
        preloadLangs: true,
      }),
    ],
    providers: [{ provide: MATERIAL_ANIMATIONS, useValue: { animationsDisabled: true } }],
  });
  return TestBed.inject(ReasonDialogService);
}

const q = <T extends Element>(sel: string) => document.querySelector(sel) as T | null;
const settle = async () => {
  await new Promise((r) => setTimeout(r, 0));
  TestBed.tick();
  await new Promise((r) => setTimeout(r, 0));
};
const type = async (value: string) => {
  const area = q<HTMLTextAreaElement>('[data-testid=action-reason]')!;
  area.value = value;
  area.dispatchEvent(new Event('input'));
  await settle();
};

describe('ReasonDialog', () => {
  afterEach(() => document.querySelectorAll('.cdk-overlay-container').forEach((e) => e.remove()));

  // The first focus (the reason field) needs layout: test/e2e/console/ops.test.ts checks it in Chromium.
  it('is described by its message', async () => {
    const service = setup();
    for (const message of ['Routing skips primary.', 'Keys stop working.']) {
      void service.ask({ ...options, message });
      await settle();
      // The dialog opened last (a second one stacks above the first): its own message, a unique id.
      const dialogs = document.querySelectorAll('[role=dialog]');
      const describedBy = dialogs[dialogs.length - 1].getAttribute('aria-describedby');
      expect(describedBy).toBeTruthy();
      expect(document.querySelectorAll(`[id="${describedBy}"]`)).toHaveLength(1);
      expect(document.getElementById(describedBy!)?.textContent?.trim()).toBe(message);
    }
  });

  it('is labelled by its title and, when required, waits for a reason that is not blank', async () => {
    const answer = setup().ask({ ...options, required: true });
    await settle();
    const dialog = q('[role=dialog]')!;
    const title = q('h2[mat-dialog-title]')!;
    expect(dialog.getAttribute('aria-labelledby')).toBe(title.id);
    expect(title.textContent?.trim()).toBe('Drain primary?');
    const area = q<HTMLTextAreaElement>('[data-testid=action-reason]')!;
    expect(area.required).toBe(true);
    expect(area.maxLength).toBe(500);
    const confirm = q<HTMLButtonElement>('[data-testid=confirm-button]')!;
    expect(confirm.disabled).toBe(true);
    await type('   ');
    expect(confirm.disabled).toBe(true);
    // Left blank: the error shows and the field is invalid for assistive technology.
    area.dispatchEvent(new Event('blur'));
    await settle();
    expect(q('[data-testid=action-reason-error]')?.textContent?.trim()).toBe('Required');
    expect(area.getAttribute('aria-invalid')).toBe('true');
    await type('  provider maintenance ');
    expect(q('[data-testid=action-reason-error]')).toBeNull();
    expect(confirm.disabled).toBe(false);
    confirm.click();
    await settle();
    expect(await answer).toBe('provider maintenance');
  });

  it('confirms without a reason when optional, and Escape cancels', async () => {
    const service = setup();
    const none = service.ask(options);
    await settle();
    expect(q<HTMLTextAreaElement>('[data-testid=action-reason]')!.required).toBe(false);
    q<HTMLButtonElement>('[data-testid=confirm-button]')!.click();
    await settle();
    expect(await none).toBe('');

    const cancelled = service.ask(options);
    await settle();
    await type('not yet');
    q('[role=dialog]')!.dispatchEvent(new KeyboardEvent('keydown', { key: 'Escape', keyCode: 27, bubbles: true }));
    await settle();
    expect(await cancelled).toBeUndefined();
  });
});
