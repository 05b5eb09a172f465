import { createHash } from 'node:crypto';
import { type Context, tenantOf } from '../src/context.js';
import { ValidationError } from '../src/lib/errors.js';
import type { Key, KeyedRows, Page } from '../src/lib/keyset.js';
import type { builder } from './builder.js';

// Keyset pagination for every connection, in both directions: `first`/`after` forwards and `last`/`before`
// backwards (Relay's cursor connections spec). A cursor is the sort key of its row (src/lib/keyset.ts), so a
// page is "the rows after this row", and rows that arrive while a client pages shift nothing: no duplicates,
// no gaps. It also names its list: the connection and whose rows (merchant and mode, the user, or admin),
// hashed, so a cursor of another list is refused instead of silently positioning this one. A cursor that is
// not one of ours (a random string, an offset cursor of the old API) is the caller's 400, naming the argument.

export const PAGE = { defaultSize: 20, maxSize: 100 } as const;

export interface PageArgs {
  first?: number | null;
  after?: string | null;
  last?: number | null;
  before?: string | null;
}

/** Which list a connection pages: its name and whose rows (e.g. merchant and mode). */
export interface ListSpec {
  list: string;
  scope: readonly (string | null)[];
  /**
   * The list's name before its order changed: cursors it gave out then name no place in the new order, and
   * are refused with a message saying so (like offset cursors).
   */
  formerly?: string;
}

/** The scope of a tenant's list: admins page every merchant's, a merchant its own in one mode. */
export function listScope(ctx: Context): string[] {
  if (ctx.principal.kind === 'admin') return ['admin'];
  const t = tenantOf(ctx);
  return [t.merchantId, t.mode];
}

function listTag(spec: ListSpec): string {
  return createHash('sha256')
    .update(JSON.stringify([spec.list, ...spec.scope]))
    .digest('base64url')
    .slice(0, 16);
}

export function encodeCursor(tag: string, key: Key): string {
  return Buffer.from(JSON.stringify({ v: 1, l: tag, k: key })).toString('base64url');
}

function parseCursor(cursor: string): { l: string; k: string[] } | 'offset' | null {
  if (cursor.length > 2048 || !/^[A-Za-z0-9_+/-]+={0,2}$/.test(cursor)) return null;
  const text = Buffer.from(cursor, 'base64').toString('utf8');
  if (/^OffsetConnection:\d+$/.test(text)) return 'offset';
  try {
    const c = JSON.parse(text) as { v?: unknown; l?: unknown; k?: unknown };
    const key = c.k;
    const keyOk =
      Array.isArray(key) && key.length > 0 && key.length <= 4 && key.every((v) => typeof v === 'string');
    return c.v === 1 && typeof c.l === 'string' && keyOk ? { l: c.l, k: key as string[] } : null;
  } catch {
    return null;
  }
}

/** The key a cursor names, checked to be one this list gave out. (Its values are checked by the list's columns.) */
function cursorKey(cursor: string, param: 'after' | 'before', tag: string, formerTag: string | null): Key {
  const c = parseCursor(cursor);
  if (c === 'offset') {
    throw new ValidationError(
      `${param} is an offset cursor, which this API no longer accepts: cursors are now stable keyset cursors. Start paging again without ${param}`,
      param,
    );
  }
  if (!c) throw new ValidationError(`${param} is not a cursor this API returned`, param);
  if (c.l === formerTag) {
    throw new ValidationError(
      `${param} is a cursor of this list from before its order changed, which names no place in it now. Start paging again without ${param}`,
      param,
    );
  }
  if (c.l !== tag) {
    throw new ValidationError(
      `${param} is a cursor of another list (another connection, user, merchant or mode); use a cursor this list returned`,
      param,
    );
  }
  return c.k;
}

function pageSize(value: number | null | undefined, param: 'first' | 'last'): number | null {
  if (value === null || value === undefined) return null;
  if (!Number.isInteger(value) || value < 1 || value > PAGE.maxSize) {
    throw new ValidationError(`${param} must be from 1 to ${PAGE.maxSize}`, param);
  }
  return value;
}

/** The page that first/after/last/before ask for, one row more than its size (to learn whether more follow). */
function askedPage(ctx: Context, args: PageArgs, spec: ListSpec): { page: Page; size: number; tag: string } {
  const tag = listTag(spec);
  const formerTag = spec.formerly ? listTag({ list: spec.formerly, scope: spec.scope }) : null;
  const first = pageSize(args.first, 'first');
  const last = pageSize(args.last, 'last');
  if (first !== null && last !== null) throw new ValidationError('Give first or last, not both', 'last');
  const after = args.after ? cursorKey(args.after, 'after', tag, formerTag) : null;
  const before = args.before ? cursorKey(args.before, 'before', tag, formerTag) : null;
  const size = first ?? last ?? PAGE.defaultSize;
  const offset = ctx.restOffset !== undefined && !after && !before && last === null ? ctx.restOffset : 0;
  return { page: { limit: size + 1, offset, after, before, backward: last !== null }, size, tag };
}

/**
 * Resolves a keyset connection, with totalCount, from a loader of one list's page (rows with their keys, in
 * list order, or oldest first when `backward`). pageInfo costs no query: the extra row says whether more rows
 * follow in the paging direction; in the other, a cursor given means its row is there (lists only grow).
 */
export async function keysetConnection<T>(
  ctx: Context,
  args: PageArgs,
  spec: ListSpec,
  load: (page: Page) => Promise<KeyedRows<T>>,
) {
  const { page, size, tag } = askedPage(ctx, args, spec);
  const res = await load(page);
  const more = res.rows.length > size;
  let rows = res.rows.slice(0, size);
  let keys = res.keys.slice(0, size);
  if (page.backward) {
    rows = rows.reverse();
    keys = keys.reverse();
  }
  const edges = rows.map((node, i) => ({ cursor: encodeCursor(tag, keys[i]!), node }));
  return {
    edges,
    pageInfo: {
      startCursor: edges[0]?.cursor ?? null,
      endCursor: edges.at(-1)?.cursor ?? null,
      hasPreviousPage: page.backward ? more || !!page.after : !!page.after || (page.offset ?? 0) > 0,
      hasNextPage: page.backward ? !!page.before : more || !!page.before,
    },
    totalCount: res.total,
  };
}

/**
 * The complexity of one page of a connection: `perRow` for each row it may return. It is measured before
 * execution, so a page size out of range is refused here, as its argument error (`param: "first"`), instead of
 * counting as 1000 rows and failing the query's complexity (graphql-complexity.ts hands the error on).
 */
export function pageComplexity(args: PageArgs, perRow = 5) {
  pageSize(args.first, 'first');
  pageSize(args.last, 'last');
  return { field: perRow, multiplier: args.first ?? args.last ?? PAGE.defaultSize };
}

type Types = typeof builder extends PothosSchemaTypes.SchemaBuilder<infer T> ? T : never;

/**
 * The connection and edge type options of a list of `items` (Relay names: `<name>`, `<name>Edge`): a
 * description for each, and `totalCount`.
 */
export function pageTypes(name: string, items: string) {
  const connection = {
    name,
    description: `A page of ${items}.`,
    fields: (c: PothosSchemaTypes.ObjectFieldBuilder<Types, object>) => ({
      totalCount: c.int({
        description: `How many ${items} match, across all pages.`,
        resolve: (p) => (p as { totalCount: number }).totalCount,
      }),
    }),
  };
  return [connection, { description: `One of the ${items} and its cursor.` }] as const;
}
