import { Injectable, inject } from '@angular/core';
import { MatDialog } from '@angular/material/dialog';
import { firstValueFrom } from 'rxjs';
import { ReasonDialog, reasonMessageId, type ReasonDialogOptions } from './reason-dialog';

let opened = 0;

/** `await reasons.ask({...})` → the trimmed reason when confirmed ('' for none, when optional), undefined when cancelled. */
@Injectable({ providedIn: 'root' })
export class ReasonDialogService {
  private readonly dialog = inject(MatDialog);

  async ask(options: ReasonDialogOptions): Promise<string | undefined> {
    // Our own id, so the message's id (and aria-describedby naming it) is known before the dialog opens.
    const id = `app-reason-dialog-${opened++}`;
    const ref = this.dialog.open<ReasonDialog, ReasonDialogOptions, string | undefined>(ReasonDialog, {
      id,
      ariaDescribedBy: reasonMessageId(id),
      data: options,
      width: '480px',
    });
    return firstValueFrom(ref.afterClosed());
  }
}
