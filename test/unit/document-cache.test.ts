import { describe, expect, it } from 'vitest';
import { DocumentCache } from '../../src/http/document-cache.js';

// The parsed-document caches of every GraphQL door are bounded by the length of the texts they keep.

describe('DocumentCache', () => {
  it('keeps at most its byte budget of texts, dropping the least recently used', () => {
    const cache = new DocumentCache<number>(30, 10);
    cache.set('aaaaaaaaaa', 1);
    cache.set('bbbbbbbbbb', 2);
    cache.set('cccccccccc', 3);
    expect(cache.get('aaaaaaaaaa')).toBe(1); // now the most recently used
    cache.set('dddddddddd', 4);
    expect(cache.get('bbbbbbbbbb')).toBeUndefined();
    expect([cache.get('aaaaaaaaaa'), cache.get('cccccccccc'), cache.get('dddddddddd')]).toEqual([1, 3, 4]);
    expect(cache.size).toEqual({ entries: 3, bytes: 30 });
  });

  it('does not keep a text longer than its limit, and counts a replaced text once', () => {
    const cache = new DocumentCache<string>(100, 10);
    cache.set('x'.repeat(11), 'long');
    expect(cache.get('x'.repeat(11))).toBeUndefined();
    cache.set('short', 'a');
    cache.set('short', 'b');
    expect(cache.get('short')).toBe('b');
    expect(cache.size).toEqual({ entries: 1, bytes: 5 });
  });

  it('stays within its budget under many distinct texts', () => {
    const cache = new DocumentCache<number>(1000, 100);
    for (let i = 0; i < 10_000; i++) cache.set(`{ a${i} }`.padEnd(50 + (i % 50), ' '), i);
    expect(cache.size.bytes).toBeLessThanOrEqual(1000);
  });
});
