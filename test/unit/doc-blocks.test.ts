import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parse } from 'lossless-json';
import { describe, expect, it } from 'vitest';
import { compareOutputs, outputDifferences, runnableBlocks } from '../helpers/doc-blocks.js';

// The checker behind test/e2e/docs-runnable.test.ts: which blocks run, what they show, and which differences
// in what they print fail them.
const diff = (shown: string, printed: string) => outputDifferences(parse(shown), parse(printed));

describe('runnable documentation blocks', () => {
  it('finds only blocks marked runnable, with the JSON they show (continued over comment lines)', () => {
    const root = mkdtempSync(join(tmpdir(), 'novapay-docblocks-'));
    mkdirSync(join(root, 'docs'));
    const md = [
      '```sh',
      'echo not run',
      '```',
      '```sh runnable',
      'curl -s "$BASE/x"',
      '# {"a":1.00,',
      '#  "b":"x"}',
      '# not json',
      '```',
      '```js runnable',
      'console.log(JSON.stringify([1]));',
      '// [1]',
      '```',
    ].join('\n');
    writeFileSync(join(root, 'README.md'), md);
    const blocks = runnableBlocks(root, 'README.md');
    expect(blocks.map((b) => [b.lang, b.line, b.expected])).toEqual([
      ['sh', 4, ['{"a":1.00,"b":"x"}']],
      ['js', 10, ['[1]']],
    ]);
  });

  it('passes any id, time or null-shown value, and names every difference in shape', () => {
    expect(
      diff(
        '{"id":"tx_…","amount":50.00,"at":"2025-03-06T00:05:00Z","tx":null,"message":"…"}',
        '{"id":"tx_9","amount":50.00,"at":"2026-01-01T10:00:00Z","tx":"0xab","message":"Not enough"}',
      ),
    ).toEqual([]);
    expect(diff('{"amount":50.00}', '{"amount":50}')).toEqual(['$.amount: 50 where 50.00 is shown']);
    expect(diff('{"n":20}', '{"n":20.5}')).toEqual(['$.n: 20.5 where 20 is shown']);
    expect(diff('{"at":"2025-03-06T00:05:00Z"}', '{"at":"2025-03-06T00:05:00.123Z"}')).toEqual([
      '$.at: "2025-03-06T00:05:00.123Z" where a time like "2025-03-06T00:05:00Z" is shown',
    ]);
    expect(diff('{"a":1,"b":"x"}', '{"a":"1","c":2}')).toEqual([
      '$.b: missing',
      '$.c: printed but not shown',
      '$.a: string where number is shown',
    ]);
    expect(diff('{"data":[{"a":1}]}', '{"data":[{"a":1},{"b":2}]}')).toEqual([
      '$.data[1].a: missing',
      '$.data[1].b: printed but not shown',
    ]);
    expect(diff('{"data":{"ok":true}}', '{"error":{"code":"forbidden"}}')).toHaveLength(2);
  });

  it('names a value that differs from the one shown: a balance, an error code, a message, a flag', () => {
    // Each of these passed when only shapes were compared, and each was a wrong example in docs/api.md.
    expect(diff('{"toBalance":46.50}', '{"toBalance":47.00}')).toEqual([
      '$.toBalance: 47.00 where 46.50 is shown',
    ]);
    expect(
      diff(
        '{"error":{"code":"insufficient_funds","param":"amount"}}',
        '{"error":{"code":"not_found","param":"fromUserId"}}',
      ),
    ).toEqual([
      '$.error.code: "not_found" where "insufficient_funds" is shown',
      '$.error.param: "fromUserId" where "amount" is shown',
    ]);
    expect(diff('{"m":"Withdrawal pay_x not found"}', '{"m":"Withdrawal \'pay_x\' not found"}')).toHaveLength(
      1,
    );
    expect(diff('{"replayed":false}', '{"replayed":true}')).toEqual([
      '$.replayed: true where false is shown',
    ]);
    // The same number written with other trailing zeros is the same value when the decimals rule holds.
    expect(diff('{"a":44.5}', '{"a":44.5}')).toEqual([]);
    expect(diff('{"a":1.0}', '{"a":1.00}')).toEqual([]);
  });

  it('fails a block that prints a different number of JSON outputs than it shows', () => {
    const block = { file: 'x.md', line: 1, lang: 'sh' as const, code: '', expected: ['{"a":1}'] };
    expect(compareOutputs(block, 'progress…\n{"a":1}\n')).toEqual([]);
    expect(compareOutputs(block, '')[0]).toMatch(/^shows 1 JSON outputs, printed 0/);
  });
});
