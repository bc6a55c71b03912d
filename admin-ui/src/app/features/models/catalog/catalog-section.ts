import { inject, signal } from '@angular/core';
import { TranslocoService } from '@jsverse/transloco';
import { ApiError } from '../../../core/api/problem';
import { ConfirmService } from '../../../shared/confirm-dialog/confirm.service';
import { changeFailure, type ChangeFailure } from './alias-form';
import { CatalogState, type CatalogEntry, type Section } from './catalog-state';

/** Options of {@link catalogSection}. */
export interface CatalogSectionOptions {
  /** Transloco keys of the confirmation's body: removing an API entry, and reverting one that overrides the file's. */
  deleteBody?: string;
  revertBody?: string;
  /** Told of every failed change (e.g. a panel's `failed` output, so the catalog's banner shows it too). */
  failed?: (err: unknown) => void;
}

/**
 * One section of the live catalog (aliases, providers, prices) as an editable list: the entry open
 * in its editor, saving and deleting through {@link CatalogState} (so every change carries If-Match of
 * the revision read), the delete-or-revert confirmation, and what the screen says about a failed
 * change — the "changed behind your back" sentence for a 412/409, the server's own detail otherwise.
 * Call in an injection context. `E` is what the editor holds (an entry, or a name for a new one).
 *
 * ```ts
 * readonly prices = catalogSection<string>('pricing', { failed: (err) => this.failed.emit(err) });
 * // template: @if (prices.editing() !== null) { … {{ prices.message() }} … }
 * ```
 */
export function catalogSection<E = CatalogEntry>(section: Section, options: CatalogSectionOptions = {}) {
  const state = inject(CatalogState);
  const confirm = inject(ConfirmService);
  const i18n = inject(TranslocoService);
  const editing = signal<E | null>(null);
  const failure = signal<ChangeFailure | null>(null);
  const message = signal<string | null>(null);

  function clear(): void {
    failure.set(null);
    message.set(null);
  }

  /** Shows a failed change (anything but an API answer is a bug, and is thrown on). */
  function failed(err: unknown): void {
    if (!(err instanceof ApiError)) throw err;
    const kind = changeFailure(err);
    failure.set(kind);
    message.set(kind === 'stale' ? i18n.translate('models.catalog.stale') : err.problem.detail);
  }

  /** Runs one change; true when it was stored. */
  async function run(change: () => Promise<unknown>): Promise<boolean> {
    clear();
    try {
      await change();
      return true;
    } catch (err) {
      failed(err);
      options.failed?.(err);
      return false;
    }
  }

  return {
    editing: editing.asReadonly(),
    failure: failure.asReadonly(),
    /** The sentence for the last failed change, or null. */
    message: message.asReadonly(),
    failed,
    clear,
    run,
    /** Opens the editor on `entry` with no failure shown. */
    open(entry: E): void {
      clear();
      editing.set(entry);
    },
    close(): void {
      editing.set(null);
    },
    /** Stores `name` (If-Match of the revision read) and closes the editor; true when stored. */
    async save(name: string, body: Record<string, unknown>): Promise<boolean> {
      const ok = await run(() => state.put(section, name, body));
      if (ok) editing.set(null);
      return ok;
    },
    /**
     * Deletes an API entry after confirmation — or, when it overrides the file's entry, reverts to
     * that one (the confirmation says which). True when deleted; false when declined or failed.
     */
    async remove(entry: Pick<CatalogEntry, 'name' | 'overrides_file'>): Promise<boolean> {
      const revert = entry.overrides_file;
      const ok = await confirm.ask({
        title: i18n.translate(revert ? 'models.catalog.revertTitle' : 'models.catalog.deleteTitle', {
          name: entry.name,
        }),
        message: i18n.translate(
          revert
            ? (options.revertBody ?? 'models.catalog.revertEntryBody')
            : (options.deleteBody ?? `models.catalog.deleteEntry.${section}`),
        ),
        confirmLabel: i18n.translate(revert ? 'models.catalog.revert' : 'models.catalog.delete'),
        destructive: true,
      });
      return ok && run(() => state.remove(section, entry.name));
    },
  };
}

/** What {@link catalogSection} returns. */
export type CatalogSection<E = CatalogEntry> = ReturnType<typeof catalogSection<E>>;
