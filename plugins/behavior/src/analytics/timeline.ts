import { errors } from '@aihub/core/plugin-api';

/** A position in a user's timeline (newest first): the last event shown, by time then row id. */
export interface TimelineCursor {
  ts: string;
  id: number;
}

/** Opaque page cursor: base64url of `<ISO time>|<row id>`. */
export function encodeCursor(c: TimelineCursor): string {
  return Buffer.from(`${c.ts}|${c.id}`).toString('base64url');
}

export function decodeCursor(value: string, param: string): TimelineCursor {
  const [ts, id, ...rest] = Buffer.from(value, 'base64url').toString('utf8').split('|');
  const n = Number(id);
  if (
    rest.length ||
    !ts ||
    !Number.isSafeInteger(n) ||
    n < 0 ||
    !/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$/.test(ts) ||
    !Number.isFinite(Date.parse(ts))
  ) {
    throw errors.badRequest(
      `${param} is not a page cursor: pass the next_before of the previous page unchanged.`,
      'invalid_cursor',
      param,
    );
  }
  return { ts, id: n };
}
