import { readdirSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { CloseCode } from 'graphql-ws';
import { describe, expect, it } from 'vitest';
import { ROOT } from '../helpers/process.js';

// docs/api.md's "WebSocket close codes" table names every code and every fixed reason a client can receive on
// /graphql: ours (any `CLOSE_… = NNNN` and `.close(…, 'reason')` in src/, the fan-out's 4408 included), those
// graphql-ws's server closes with (read from the module the server imports, so an upgrade that adds one fails
// here), and the ws library's own for frames it refuses. A new close without its row fails here.

const sourceFiles = (readdirSync(join(ROOT, 'src'), { recursive: true }) as string[])
  .filter((f) => f.endsWith('.ts'))
  .map((f) => join(ROOT, 'src', f));
const sources = sourceFiles.map((f) => readFileSync(f, 'utf8')).join('\n');

/** graphql-ws's server module, as `import { makeServer } from 'graphql-ws'` (src/http/ws.ts) loads it. */
function graphqlWsServer(): string {
  const dist = dirname(fileURLToPath(import.meta.resolve('graphql-ws')));
  const index = readFileSync(join(dist, 'index.js'), 'utf8');
  const file = /m as makeServer[^;]* from '\.\/([^']+)'/.exec(index)?.[1];
  expect(file, 'graphql-ws/dist/index.js re-exports makeServer from its server module').toBeDefined();
  return readFileSync(join(dist, file!), 'utf8');
}

/**
 * graphql-ws closes our server never lets through: onConnect (src/http/ws-handshake.ts) returns false only
 * once it has closed the socket itself (4401, 4403 `ip_not_allowed`, 4429, 1013 or 4500), so graphql-ws's own
 * 4403 `Forbidden` that follows finds it closing, and ws sends no second close frame.
 */
const NEVER_SENT = new Set(['Forbidden']);

/** The codes and reasons graphql-ws's server closes a socket with (a reason naming the id as `<id>`). */
function graphqlWsCloses(): { name: string; code: number; reason: string }[] {
  const closes = [...graphqlWsServer().matchAll(/\.close\(\s*CloseCode\.(\w+),\s*(["`])(.*?)\2\s*\)/gs)];
  return closes.map((m) => ({
    name: m[1]!,
    code: CloseCode[m[1] as keyof typeof CloseCode],
    reason: m[3]!.replace(/\$\{\w+\}/g, '<id>'),
  }));
}

/** The codes the ws library closes with when it refuses a frame (its receiver's errors); they carry no reason. */
function wsLibraryCodes(): number[] {
  const receiver = readFileSync(join(ROOT, 'node_modules/ws/lib/receiver.js'), 'utf8');
  const codes = [...receiver.matchAll(/createError\(\s*\w+,\s*'[^']*',\s*\w+,\s*(\d{4}),/g)].map((m) =>
    Number(m[1]),
  );
  return [...new Set(codes)];
}

function docTable(): { codes: Set<number>; reasons: Set<string> } {
  const doc = readFileSync(join(ROOT, 'docs/api.md'), 'utf8');
  const start = doc.indexOf('### WebSocket close codes');
  expect(start).toBeGreaterThan(0);
  const rows = doc
    .slice(start)
    .split('\n')
    .filter((l) => /^\| \d{4} /.test(l));
  const codes = new Set(rows.map((r) => Number(r.slice(2, 6))));
  const reasons = new Set(
    rows.flatMap((r) => [...r.split('|')[2]!.matchAll(/`([^`]+)`/g)].map((m) => m[1]!)),
  );
  return { codes, reasons };
}

describe('WebSocket close codes in docs/api.md', () => {
  it('lists every close code the server uses', () => {
    const used = [...sources.matchAll(/const CLOSE_\w+ = (\d{4});/g)].map((m) => Number(m[1]));
    expect(used.length).toBeGreaterThanOrEqual(8);
    const { codes } = docTable();
    expect(used.filter((c) => !codes.has(c))).toEqual([]);
  });

  it('lists every fixed close reason, the revocation and expiry ones included', () => {
    const literal = [...sources.matchAll(/\.close\([^()']*,\s*'([^']+)'\)/g)].map((m) => m[1]!);
    const tuples = [...sources.matchAll(/\[CLOSE_\w+, '([^']+)'\]/g)].map((m) => m[1]!);
    const used = [...new Set([...literal, ...tuples])];
    expect(used).toEqual(
      expect.arrayContaining(['token_revoked', 'key_revoked', 'token_expired', 'too_slow']),
    );
    const { reasons } = docTable();
    expect(used.filter((r) => !reasons.has(r))).toEqual([]);
    // The reasons named by error code (closeFor): 1013's and the two 44xx besides 4401.
    for (const r of ['service_unavailable', 'ip_not_allowed', 'rate_limited'])
      expect(reasons.has(r)).toBe(true);
  });

  it("lists every code and reason graphql-ws's server closes with, but the Forbidden it never gets to send", () => {
    const closes = graphqlWsCloses().filter((c) => !NEVER_SENT.has(c.name));
    // Read from graphql-ws 6: a bad message, subscribe before the ack, a second init, no init in time, a wrong
    // subprotocol, a reused id.
    expect(closes.map((c) => c.code).sort()).toEqual(
      expect.arrayContaining([4400, 4401, 4406, 4408, 4409, 4429]),
    );
    const { codes, reasons } = docTable();
    expect(closes.filter((c) => !codes.has(c.code) || !reasons.has(c.reason))).toEqual([]);
  });

  it('lists the codes the ws library closes with for a frame it refuses (1009 above the 64 KB limit)', () => {
    const used = wsLibraryCodes();
    expect(used).toContain(1009);
    const { codes } = docTable();
    expect(used.filter((c) => !codes.has(c))).toEqual([]);
  });
});
