import { Injectable, signal } from '@angular/core';

export type ThemeChoice = 'system' | 'light' | 'dark';
const KEY = 'aihub.console.theme';

/** Light, dark or the system's preference (`prefers-color-scheme`), remembered in localStorage. */
@Injectable({ providedIn: 'root' })
export class ThemeService {
  readonly choice = signal<ThemeChoice>(readChoice(localStorage.getItem(KEY)));

  init(): void {
    this.apply(this.choice());
  }

  set(choice: ThemeChoice): void {
    localStorage.setItem(KEY, choice);
    this.choice.set(choice);
    this.apply(choice);
  }

  private apply(choice: ThemeChoice): void {
    const html = document.documentElement.classList;
    html.toggle('theme-light', choice === 'light');
    html.toggle('theme-dark', choice === 'dark');
  }
}

export function readChoice(value: string | null): ThemeChoice {
  return value === 'light' || value === 'dark' ? value : 'system';
}
