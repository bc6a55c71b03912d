import { CoreErrors } from '@aihub/core/plugin-api';
import { looksLikeId } from './ids';
import { TenancyErrors } from './errors';

export const DEFAULT_PAGE_SIZE = 50;
export const MAX_PAGE_SIZE = 200;

export function pageSize(limit: number | undefined): number {
  if (limit === undefined) return DEFAULT_PAGE_SIZE;
  if (!Number.isInteger(limit) || limit < 1 || limit > MAX_PAGE_SIZE)
    throw TenancyErrors.create('invalid_limit', `limit must be an integer from 1 to ${MAX_PAGE_SIZE}.`, {
      param: 'limit',
    });
  return limit;
}

function invalidCursor() {
  return CoreErrors.create(
    'invalid_cursor',
    'The cursor is not one this API returned; pass next_cursor from the previous page unchanged.',
    { param: 'cursor' },
  );
}

/** Cursor of an id-ordered list: the last id of the page, opaque to clients. */
export function encodeIdCursor(id: string): string {
  return Buffer.from(`i:${id}`).toString('base64url');
}

export function decodeIdCursor(cursor: string | null | undefined): string | undefined {
  if (cursor === undefined || cursor === null || cursor === '') return undefined;
  if (cursor.length > 200) throw invalidCursor();
  const raw = Buffer.from(cursor, 'base64url').toString();
  if (!raw.startsWith('i:') || !looksLikeId(raw.slice(2))) throw invalidCursor();
  return raw.slice(2);
}

/** Cursor of a (time, id)-ordered list (the audit log, newest first). */
export function encodeTimeCursor(at: Date, id: string): string {
  return Buffer.from(`t:${at.getTime()}:${id}`).toString('base64url');
}

export function decodeTimeCursor(cursor: string | null | undefined): { at: Date; id: string } | undefined {
  if (cursor === undefined || cursor === null || cursor === '') return undefined;
  if (cursor.length > 200) throw invalidCursor();
  const m = /^t:(\d{1,15}):([a-z]+_[0-9a-z]+)$/.exec(Buffer.from(cursor, 'base64url').toString());
  if (!m || !looksLikeId(m[2])) throw invalidCursor();
  return { at: new Date(Number(m[1])), id: m[2] };
}
