import { Injectable, inject } from '@angular/core';
import { MatDialog } from '@angular/material/dialog';
import { firstValueFrom } from 'rxjs';
import { ConfirmDialog, type ConfirmOptions } from './confirm-dialog';

/** `await confirm.ask({...})` → true when the user confirmed. */
@Injectable({ providedIn: 'root' })
export class ConfirmService {
  private readonly dialog = inject(MatDialog);

  async ask(options: ConfirmOptions): Promise<boolean> {
    const ref = this.dialog.open<ConfirmDialog, ConfirmOptions, boolean>(ConfirmDialog, {
      data: options,
      width: '440px',
      autoFocus: options.typeToConfirm ? 'input' : 'first-tabbable',
    });
    return (await firstValueFrom(ref.afterClosed())) === true;
  }
}
