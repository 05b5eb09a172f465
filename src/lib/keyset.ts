import { ValidationError } from './errors.js';

// Keyset pages of a list (docs/graphql.md, "Pagination"). Every list is sorted newest first by a unique key
// (its columns, e.g. created_at then id as the tie-breaker, a bigserial, or for events the writing
// transaction's id first, so a late commit is never behind a reader), and a page is "the rows after
// this key" rather than "the rows after this many": rows inserted while a client pages never shift a page,
// so a walk has no duplicates and no gaps. A key travels as the text of each column (timestamps in UTC with
// every microsecond, so no row between two keys is lost to rounding); the list's columns check it before
// it reaches SQL, so a forged key is a 400 naming the argument, never a 500.

export type Key = readonly string[];

export type KeyType = 'timestamptz' | 'text' | 'bigint' | 'xid8';

/** One column of a list's sort key: its SQL expression and type. The list's order is descending in each. */
export interface KeyColumn {
  readonly sql: string;
  readonly type: KeyType;
}

/** Which rows of a list a query returns. */
export interface Page {
  /** Rows to return at most (a connection asks one more, to learn whether there is another page). */
  limit: number;
  /** Rows to skip: the REST API's page/limit and internal callers only; no cursor carries one. */
  offset?: number;
  /** Only rows after this key in list order (older). */
  after?: Key | null;
  /** Only rows before this key in list order (newer). */
  before?: Key | null;
  /** The window's last rows instead of its first, returned oldest first (the caller reverses them). */
  backward?: boolean;
}

/** Rows of a list page with the key of each. */
export interface KeyedRows<T> {
  rows: T[];
  keys: Key[];
  total: number;
}

/** The columns of the common key: a time (newest first) and the row's id as the tie-breaker. */
export function byTime(alias = '', id: KeyType = 'text', time = 'created_at'): KeyColumn[] {
  return [
    { sql: `${alias}${time}`, type: 'timestamptz' },
    { sql: `${alias}id`, type: id },
  ];
}

function text(col: KeyColumn): string {
  if (col.type === 'timestamptz') {
    return `to_char(${col.sql} at time zone 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"')`;
  }
  return col.type === 'bigint' || col.type === 'xid8' ? `${col.sql}::text` : col.sql;
}

/** The select expression of each row's key, as `page_key` (a text[]). */
export function keySelect(cols: readonly KeyColumn[]): string {
  return `array[${cols.map(text).join(', ')}]::text[] as page_key`;
}

const TIME = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{6}Z$/;
const BIGINT = /^(0|[1-9]\d{0,17})$/;
/** A transaction id (64 bits, unsigned): 19 digits at most, so every one parses. */
const XID8 = /^(0|[1-9]\d{0,18})$/;

/**
 * A time that exists (no 30 February): its milliseconds print back the same. Not in year 0, which a
 * JavaScript Date takes and PostgreSQL does not (its calendar goes from 1 BC to AD 1).
 */
function realTime(v: string): boolean {
  if (v.startsWith('0000')) return false;
  const d = new Date(`${v.slice(0, 23)}Z`);
  return !Number.isNaN(d.getTime()) && d.toISOString().slice(0, 23) === v.slice(0, 23);
}

function checkKey(cols: readonly KeyColumn[], key: Key, param: 'after' | 'before'): Key {
  const ok =
    key.length === cols.length &&
    cols.every((c, i) => {
      const v = key[i]!;
      if (c.type === 'timestamptz') return TIME.test(v) && realTime(v);
      if (c.type === 'bigint') return BIGINT.test(v);
      if (c.type === 'xid8') return XID8.test(v);
      // biome-ignore lint/suspicious/noControlCharactersInRegex: PostgreSQL refuses NUL in text
      return v.length <= 255 && !/\u0000/.test(v);
    });
  if (!ok) throw new ValidationError(`${param} is not a cursor of this list`, param);
  return key;
}

/**
 * The tail of a list query after its filter: the key window, the order and the limit, with placeholders
 * from $`next`. `hasWhere` says whether the filter wrote a WHERE already.
 */
export function pageTail(
  cols: readonly KeyColumn[],
  page: Page,
  next: number,
  hasWhere = true,
): { sql: string; params: unknown[] } {
  const params: unknown[] = [];
  const conditions: string[] = [];
  const tuple = `(${cols.map((c) => c.sql).join(', ')})`;
  const bound = (key: Key, op: '<' | '>', param: 'after' | 'before') => {
    const holders = checkKey(cols, key, param).map((v, i) => {
      params.push(v);
      return `$${next + params.length - 1}::${cols[i]!.type}`;
    });
    conditions.push(`${tuple} ${op} (${holders.join(', ')})`);
  };
  if (page.after) bound(page.after, '<', 'after');
  if (page.before) bound(page.before, '>', 'before');
  const dir = page.backward ? 'asc' : 'desc';
  params.push(page.limit, page.offset ?? 0);
  const n = next + params.length;
  const where = conditions.length ? `${hasWhere ? 'and' : 'where'} ${conditions.join(' and ')}` : '';
  return {
    sql: `${where} order by ${cols.map((c) => `${c.sql} ${dir}`).join(', ')} limit $${n - 2} offset $${n - 1}`,
    params,
  };
}
