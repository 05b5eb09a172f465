import fc from 'fast-check';
import { beforeAll, describe, expect, it } from 'vitest';
import { createLogger } from '../../src/lib/logger.js';
import { useTestApp } from '../helpers/app.js';
import { keyInit, rawSocket } from '../helpers/ws.js';

// A WebSocket close reason is at most 123 bytes (RFC 6455), and ws throws on a longer one. A subscribe whose id
// was already in use closed the socket with `Subscriber for <id> already exists`: with an id past ~94 bytes
// (ids may be as long as a message allows) the close threw, the server logged an error and closed the socket
// with 4500 Internal server error instead of 4409 (mixtures-ws-frames found it now and then: its 5,000-character
// id sent twice; reproduced on a real server with a 200-character one). Reasons are now cut to 123 bytes, on a
// character boundary.

const lines: { level: number; msg: string }[] = [];
const sink = {
  write(chunk: string) {
    for (const line of chunk.split('\n')) if (line) lines.push(JSON.parse(line));
  },
};
const t = useTestApp({}, { logger: createLogger('warn', sink) });
let wsUrl = '';
beforeAll(async () => {
  wsUrl = `${(await t.app.listen(0, '127.0.0.1')).replace('http', 'ws')}/graphql`;
});

const SUB = 'subscription { balanceUpdated(userId: "cr_a") { balance } }';

describe('a subscribe with an id in use', () => {
  it('closes with 4409 whatever the id, and logs no error', async () => {
    const m = await t.merchant();
    await fc.assert(
      fc.asyncProperty(
        fc.oneof(
          fc.string({ minLength: 1, maxLength: 3000 }),
          fc.string({ unit: 'grapheme', minLength: 1, maxLength: 300 }),
          fc.constant('i'.repeat(5000)),
          fc.constant(`${'x'.repeat(93)}😀`),
        ),
        async (id) => {
          const s = await rawSocket(wsUrl, keyInit(m));
          s.subscribe(id, SUB);
          s.subscribe(id, SUB);
          await s.closing;
          const closed = s.closed()!;
          expect(closed.code).toBe(4409);
          expect(Buffer.byteLength(closed.reason)).toBeLessThanOrEqual(123);
          expect(closed.reason.startsWith('Subscriber for ')).toBe(true);
          expect(lines.filter((l) => l.level >= 50)).toEqual([]);
        },
      ),
      { numRuns: 40 },
    );
  });
});
