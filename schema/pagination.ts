import { offsetToCursor } from '@pothos/plugin-relay';
import { ValidationError } from '../src/lib/errors.js';
import type { builder } from './builder.js';

// Offset pagination for every connection, in both directions: `first`/`after` forwards and `last`/`before`
// backwards (Relay's cursor connections spec), with the cursors Pothos' relay plugin writes
// ("OffsetConnection:<n>", base64). A cursor that is not one of ours is the caller's 400, naming the argument.

export const PAGE = { defaultSize: 20, maxSize: 100 } as const;

export interface PageArgs {
  first?: number | null;
  after?: string | null;
  last?: number | null;
  before?: string | null;
}

const CURSOR = /^OffsetConnection:(\d{1,9})$/;

function cursorOffset(cursor: string, param: 'after' | 'before'): number {
  const text = /^[A-Za-z0-9+/]+={0,2}$/.test(cursor) ? Buffer.from(cursor, 'base64').toString('utf8') : '';
  const m = CURSOR.exec(text);
  if (!m) throw new ValidationError(`${param} is not a cursor this API returned`, param);
  return Number(m[1]);
}

function pageSize(value: number | null | undefined, param: 'first' | 'last'): number | null {
  if (value === null || value === undefined) return null;
  if (!Number.isInteger(value) || value < 1 || value > PAGE.maxSize) {
    throw new ValidationError(`${param} must be from 1 to ${PAGE.maxSize}`, param);
  }
  return value;
}

type Loader<T> = (offset: number, limit: number) => Promise<{ rows: T[]; total: number }>;

/** The window [start, end) that first/after/last/before select, given a way to learn the total. */
async function window(args: PageArgs, total: () => Promise<number>): Promise<{ start: number; end: number }> {
  const first = pageSize(args.first, 'first');
  const last = pageSize(args.last, 'last');
  if (first !== null && last !== null) throw new ValidationError('Give first or last, not both', 'last');
  const start = args.after ? cursorOffset(args.after, 'after') + 1 : 0;
  let end = args.before ? cursorOffset(args.before, 'before') : null;
  if (last !== null) {
    end ??= await total();
    return { start: Math.max(start, end - last), end };
  }
  const size = first ?? PAGE.defaultSize;
  return { start, end: end === null ? start + size : Math.min(end, start + size) };
}

/** Resolves an offset connection, with totalCount, from a page loader that also counts. */
export async function offsetConnection<T>(args: PageArgs, load: Loader<T>) {
  let counted: number | null = null;
  const { start, end } = await window(args, async () => {
    counted = (await load(0, 1)).total;
    return counted;
  });
  const res =
    end > start
      ? await load(start, end - start)
      : { rows: [] as T[], total: counted ?? (await load(0, 1)).total };
  const edges = res.rows.map((node, i) => ({ cursor: offsetToCursor(start + i), node }));
  return {
    edges,
    pageInfo: {
      startCursor: edges[0]?.cursor ?? null,
      endCursor: edges.at(-1)?.cursor ?? null,
      hasPreviousPage: start > 0,
      hasNextPage: start + res.rows.length < res.total,
    },
    totalCount: res.total,
  };
}

/** The complexity of one page of a connection: `perRow` for each row it may return. */
export function pageComplexity(args: PageArgs, perRow = 5) {
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
