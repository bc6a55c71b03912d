import { CoreErrors } from '@aihub/core/plugin-api';

/** One page of a cursor-paginated list; `nextCursor` is null on the last page. */
export interface Page<T> {
  data: T[];
  nextCursor: string | null;
}

export const DEFAULT_PAGE_SIZE = 50;
export const MAX_PAGE_SIZE = 200;

const ID = /^[A-Za-z0-9_]{1,64}$/;
const CURSOR = /^t:(\d{1,15}):(.+)$/;

function invalidCursor() {
  return CoreErrors.create(
    'invalid_cursor',
    'The cursor is not one this API returned; pass next_cursor from the previous page unchanged.',
    { param: 'cursor' },
  );
}

/** Cursor of a (created_at, id) list, newest first; opaque to clients. */
export function encodeCursor(at: Date, id: string): string {
  return Buffer.from(`t:${at.getTime()}:${id}`).toString('base64url');
}

export function decodeCursor(cursor: string | undefined): { at: Date; id: string } | undefined {
  if (cursor === undefined || cursor === '') return undefined;
  if (cursor.length > 200) throw invalidCursor();
  const m = CURSOR.exec(Buffer.from(cursor, 'base64url').toString());
  if (!m || !ID.test(m[2])) throw invalidCursor();
  return { at: new Date(Number(m[1])), id: m[2] };
}
