import { Injectable, inject } from '@angular/core';
import { MatDialog } from '@angular/material/dialog';
import { firstValueFrom } from 'rxjs';
import { ReasonDialog, type ReasonDialogOptions } from './reason-dialog';

/** `await reasons.ask({...})` → the trimmed reason when confirmed ('' for none, when optional), undefined when cancelled. */
@Injectable({ providedIn: 'root' })
export class ReasonDialogService {
  private readonly dialog = inject(MatDialog);

  async ask(options: ReasonDialogOptions): Promise<string | undefined> {
    const ref = this.dialog.open<ReasonDialog, ReasonDialogOptions, string | undefined>(ReasonDialog, {
      data: options,
      width: '480px',
    });
    return firstValueFrom(ref.afterClosed());
  }
}
