import { Op, literal, type OrderItem, type Sequelize, type WhereOptions } from 'sequelize';
import { CoreErrors } from '@aihub/core/plugin-api';
import type { ApiKeyRow } from '../models';

/** Columns the key list sorts by. */
export const KEY_SORT_COLUMNS = ['created_at', 'last_used_at', 'name', 'expires_at'] as const;
export type KeySortColumn = (typeof KEY_SORT_COLUMNS)[number];
/** A column, `-` first for descending: `-created_at` is newest first. */
export type KeySort = KeySortColumn | `-${KeySortColumn}`;
export const KEY_SORTS = KEY_SORT_COLUMNS.flatMap((c) => [c, `-${c}`]) as KeySort[];

/**
 * Where NULL sorts in ascending order, by meaning: a key never used is the least recently used
 * (`low`); a key without expiry expires last (`high`). Each matches its index in the migration, so
 * PostgreSQL walks the index in either direction.
 */
const NULLS: Record<KeySortColumn, 'low' | 'high' | undefined> = {
  created_at: undefined,
  name: undefined,
  last_used_at: 'low',
  expires_at: 'high',
};

interface SortSpec {
  column: KeySortColumn;
  desc: boolean;
  nullable: boolean;
  /** NULLs come before values in this listing's order. */
  nullsFirst: boolean;
}

function specOf(sort: KeySort): SortSpec {
  const desc = sort.startsWith('-');
  const column = (desc ? sort.slice(1) : sort) as KeySortColumn;
  const nulls = NULLS[column];
  return { column, desc, nullable: nulls !== undefined, nullsFirst: nulls !== undefined && (nulls === 'low') !== desc };
}

/**
 * ORDER BY of a sort. With `viaFilter` (PostgreSQL, a selective filter such as `status=revoked`)
 * the column is wrapped in a no-op expression so no sort index can serve it: the planner then reads
 * the few matching rows through the filter's index and sorts them, instead of walking the sort
 * index through every other key, which it misjudges when the matches cluster at the far end
 * (revoked keys that were never used, under `-last_used_at`: 800 ms at 100,000 keys).
 */
export function orderOf(sort: KeySort, viaFilter = false): OrderItem[] {
  const s = specOf(sort);
  const dir = s.desc ? 'DESC' : 'ASC';
  const nulls = s.nullable ? ` NULLS ${s.nullsFirst ? 'FIRST' : 'LAST'}` : '';
  if (viaFilter) {
    const expr = s.column === 'name' ? `("name" || '')` : `("${s.column}" + interval '0 seconds')`;
    return [
      [literal(expr), `${dir}${nulls}`],
      ['id', dir],
    ];
  }
  return [
    [s.column, `${dir}${nulls}`],
    ['id', dir],
  ];
}

/** The last row of a page: its sort value (null, a date or a name) and id. */
export interface SortPosition {
  value: Date | string | null;
  id: string;
}

/**
 * Rows strictly after `pos` in the listing's order. The redundant `column >= value` bound (when no
 * NULL lies between) lets PostgreSQL start the index range scan at the cursor instead of filtering
 * every earlier row, so page 1,000 costs what page 1 does.
 */
export function afterCursor(sort: KeySort, pos: SortPosition): WhereOptions<ApiKeyRow> {
  const s = specOf(sort);
  const cmp = s.desc ? Op.lt : Op.gt;
  const bound = s.desc ? Op.lte : Op.gte;
  const col = s.column;
  const sameThenId = { [col]: pos.value, id: { [cmp]: pos.id } };
  if (pos.value === null) {
    const inNulls = { [col]: null, id: { [cmp]: pos.id } };
    // NULLs first: after the NULL block come all the values; NULLs last: only the rest of the NULLs.
    return (s.nullsFirst ? { [Op.or]: [inNulls, { [col]: { [Op.ne]: null } }] } : inNulls) as WhereOptions<ApiKeyRow>;
  }
  const valuesAfter = { [Op.or]: [{ [col]: { [cmp]: pos.value } }, sameThenId] };
  if (s.nullable && !s.nullsFirst)
    return { [Op.or]: [{ [col]: { [bound]: pos.value }, ...valuesAfter }, { [col]: null }] } as WhereOptions<ApiKeyRow>;
  return { [col]: { [bound]: pos.value }, ...valuesAfter } as WhereOptions<ApiKeyRow>;
}

const CURSOR = /^k1:([a-z_-]{1,20}):([0-9A-Za-z]{1,64}):(n|d\d{1,15}|s[\s\S]*)$/;

function invalidCursor(why = 'pass next_cursor from the previous page unchanged') {
  return CoreErrors.create('invalid_cursor', `The cursor is not one this API returned for this list; ${why}.`, {
    param: 'cursor',
  });
}

/** Opaque cursor: the sort it belongs to, the last id, and the last sort value. */
export function encodeSortCursor(sort: KeySort, row: ApiKeyRow): string {
  const v = row[specOf(sort).column] as Date | string | null;
  const value =
    v === null || v === undefined
      ? 'n'
      : typeof v === 'string' && specOf(sort).column === 'name'
        ? `s${v}`
        : `d${new Date(v).getTime()}`;
  return Buffer.from(`k1:${sort}:${row.id}:${value}`).toString('base64url');
}

export function decodeSortCursor(cursor: string | undefined, sort: KeySort): SortPosition | undefined {
  if (cursor === undefined || cursor === '') return undefined;
  if (cursor.length > 600) throw invalidCursor();
  const m = CURSOR.exec(Buffer.from(cursor, 'base64url').toString());
  if (!m) throw invalidCursor();
  if (m[1] !== sort)
    throw invalidCursor(`it was made for sort=${m[1]}: start again without a cursor when the sort changes`);
  const raw = m[3];
  const isName = specOf(sort).column === 'name';
  if (raw === 'n') {
    if (!specOf(sort).nullable) throw invalidCursor();
    return { value: null, id: m[2] };
  }
  if (isName !== raw.startsWith('s')) throw invalidCursor();
  return { value: isName ? raw.slice(1) : new Date(Number(raw.slice(1))), id: m[2] };
}

/**
 * `q`: a case-insensitive substring of the name (without LIKE, so `%` and `_` are plain text), or a
 * prefix of the key id, with or without `ahk_` — what someone holding a key or a log line types.
 */
export function searchKeys(sequelize: Sequelize, q: string): WhereOptions<ApiKeyRow> {
  const fn = sequelize.getDialect() === 'postgres' ? 'strpos' : 'instr';
  const byName = sequelize.where(
    sequelize.fn(fn, sequelize.fn('lower', sequelize.col('name')), q.toLowerCase()),
    Op.gt,
    0,
  );
  const idPart = q.startsWith('ahk_') ? q.slice(4, 16) : q;
  // Key ids are base62: a prefix of that alphabet has no LIKE wildcards to escape.
  if (!/^[0-9A-Za-z]{1,12}$/.test(idPart)) return byName as WhereOptions<ApiKeyRow>;
  return { [Op.or]: [byName, { id: { [Op.startsWith]: idPart } }] } as WhereOptions<ApiKeyRow>;
}
