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

  /** The placeholders of the page size and offset, after the filter's own. */
  page(limit: number, offset: number): { sql: string; params: unknown[] } {
    const n = this.params.length;
    return { sql: `limit $${n + 1} offset $${n + 2}`, params: [...this.params, limit, offset] };
  }
}

export interface Page {
  offset: number;
  limit: number;
}

export interface TimeRange {
  from?: Date | null;
  to?: Date | null;
}
