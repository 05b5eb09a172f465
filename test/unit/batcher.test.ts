import { describe, expect, it } from 'vitest';
import { Batcher, BatchItemFailure } from '../../src/lib/batcher.js';

describe('Batcher', () => {
  it('runs an idle request at once and gathers the ones that arrive meanwhile', async () => {
    const batches: number[][] = [];
    let release: () => void = () => undefined;
    const gate = new Promise<void>((r) => {
      release = r;
    });
    const b = new Batcher<number, number>(
      async (items) => {
        batches.push(items);
        if (batches.length === 1) await gate;
        return items.map((i) => i * 2);
      },
      3,
      1,
    );
    const first = b.submit(1);
    const rest = [2, 3, 4, 5, 6].map((i) => b.submit(i));
    release();
    expect(await Promise.all([first, ...rest])).toEqual([2, 4, 6, 8, 10, 12]);
    expect(batches).toEqual([[1], [2, 3, 4], [5, 6]]);
    await b.drain();
    expect(b.stats).toMatchObject({ batches: 3, items: 6, maxBatch: 3 });
  });

  it('rejects every request of a failed batch and keeps going', async () => {
    let calls = 0;
    const b = new Batcher<number, number>(
      async (items) => {
        calls++;
        if (calls === 1) throw new Error('boom');
        return items;
      },
      10,
      1,
    );
    await expect(b.submit(1)).rejects.toThrow('boom');
    expect(await b.submit(2)).toBe(2);
  });

  it('rejects only the items a batch reports as failed, and resolves the others', async () => {
    const b = new Batcher<number, number>(
      async (items) => items.map((i) => (i % 3 === 0 ? new BatchItemFailure(new Error(`bad ${i}`)) : i)),
      10,
      1,
    );
    const settled = await Promise.allSettled([1, 2, 3, 4, 5, 6].map((i) => b.submit(i)));
    expect(settled.map((s) => (s.status === 'fulfilled' ? s.value : (s.reason as Error).message))).toEqual([
      1,
      2,
      'bad 3',
      4,
      5,
      'bad 6',
    ]);
  });

  it('submitMany fills batches in order from the start, where submit one by one would send the first alone', async () => {
    const seen: number[][] = [];
    const run = async (items: number[]) => {
      seen.push([...items]);
      return items.map((i) => i * 10);
    };
    const many = new Batcher<number, number>(run, 3, 2);
    expect(await Promise.all(many.submitMany([1, 2, 3, 4, 5]))).toEqual([10, 20, 30, 40, 50]);
    expect(seen).toEqual([
      [1, 2, 3],
      [4, 5],
    ]);
    seen.length = 0;
    const single = new Batcher<number, number>(run, 3, 2);
    await Promise.all([1, 2, 3, 4, 5].map((i) => single.submit(i)));
    expect(seen[0]).toEqual([1]);
  });
});
