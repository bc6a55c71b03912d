/**
 * The cursors of the pages before the current one, for "previous" on a cursor-paged list (the API
 * pages forward only). Lives for the page view; a deep link to a later page offers "first page".
 */
export class CursorHistory {
  private readonly stack: string[] = [];

  /** Remember `current` before moving to the next page. */
  push(current: string): void {
    this.stack.push(current);
  }

  /** The cursor of the previous page ('' = the first page), or null when there is none recorded. */
  pop(): string | null {
    return this.stack.length ? this.stack.pop()! : null;
  }

  clear(): void {
    this.stack.length = 0;
  }
}
