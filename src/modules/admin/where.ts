import { type KeyColumn, type Page, pageTail } from '../../lib/keyset.js';

// A WHERE clause from optional filters: each condition is added only when its value is given, with numbered
// parameters, so admin lists filter on any combination without string-built SQL injections.

export class Where {
  readonly params: unknown[] = [];
  private readonly parts: string[] = [];

  /** Adds `sql` (with `?` for the value) when `value` is neither null nor undefined. */
  add(sql: string, value: unknown): this {
    if (value === null || value === undefined) return this;
    this.params.push(value);
    const n = this.params.length;
    this.parts.push(sql.replace('?', () => `$${n}`));
    return this;
  }

  /** Adds a condition without a value. */
  always(sql: string): this {
    this.parts.push(sql);
    return this;
  }

  get sql(): string {
    return this.parts.length ? `where ${this.parts.join(' and ')}` : '';
  }

  /** The page's key window, order and limit on `cols`, after the filter (with its parameters). */
  page(cols: readonly KeyColumn[], page: Page): { sql: string; params: unknown[] } {
    const tail = pageTail(cols, page, this.params.length + 1, this.parts.length > 0);
    return { sql: tail.sql, params: [...this.params, ...tail.params] };
  }
}

export type { Page } from '../../lib/keyset.js';

export interface TimeRange {
  from?: Date | null;
  to?: Date | null;
}
