import { beforeAll, describe, expect, it } from 'vitest';
import { useTestApp } from '../helpers/app.js';
import { keyInit, rawSocket } from '../helpers/ws.js';

// A subscription starts asynchronously (admitted, authorised, joined to its topic), and a client may send its
// next message before that is done. graphql-ws's protocol still holds: a second subscribe with an id in use
// closes the socket with 4409, and a complete for an id that is still starting ends it (nothing is sent for it,
// and the id is free again). Both were seen to fail by the attacker review: the duplicate was dropped silently,
// and the complete was lost, leaving a subscription the client had ended.

const t = useTestApp({ outboxPollMs: 100 }, { role: 'all' });
let wsUrl = '';
beforeAll(async () => {
  wsUrl = `${(await t.app.listen(0, '127.0.0.1')).replace('http', 'ws')}/graphql`;
});

const BALANCE = (userId: string) => `subscription { balanceUpdated(userId: "${userId}") { balance } }`;
const nexts = (s: Awaited<ReturnType<typeof rawSocket>>, id: string) =>
  s.messages.filter((x) => x.id === id && x.type === 'next');

async function until(condition: () => boolean, what: string): Promise<void> {
  for (let i = 0; i < 1000 && !condition(); i++) await new Promise((r) => setTimeout(r, 10));
  if (!condition()) throw new Error(`timed out waiting for ${what}`);
}

/** Pokes (a credit) until `live` holds, as untilLive does: a subscription's start is asynchronous too. */
async function pokeUntil(poke: () => Promise<void>, live: () => boolean): Promise<void> {
  for (let i = 0; i < 50 && !live(); i++) {
    await poke();
    const deadline = Date.now() + 200;
    while (!live() && Date.now() < deadline) await new Promise((r) => setTimeout(r, 10));
  }
}

describe('subscribe messages that arrive while one is starting', () => {
  it('closes with 4409 for a second subscribe with the same id sent right behind the first', async () => {
    const m = await t.merchant();
    const s = await rawSocket(wsUrl, keyInit(m));
    expect(s.acked).toBe(true);
    s.subscribe('same', BALANCE('race_a'));
    s.subscribe('same', BALANCE('race_b'));
    // A query behind them: answered only if the socket is still open.
    s.subscribe('after', '{ __typename }');
    await Promise.race([s.closing, s.result('after')]);
    expect(s.closed()).toEqual({ code: 4409, reason: 'Subscriber for same already exists' });
  });

  it('ends a subscription whose complete came while it was starting: nothing is sent for it, and its id is free', async () => {
    const m = await t.merchant();
    const s = await rawSocket(wsUrl, keyInit(m));
    s.subscribe('gone', BALANCE('race_user'));
    s.complete('gone');
    // The same subscription under another id, started after: it gets every update.
    s.subscribe('kept', BALANCE('race_user'));
    const credit = () => t.credit(m, 'race_user', '1');
    // Credit until 'kept' is live and has seen an update (its start is asynchronous too), as untilLive does.
    await pokeUntil(credit, () => nexts(s, 'kept').length > 0);
    expect(nexts(s, 'kept').length).toBeGreaterThan(0);
    // Once more: by the time 'kept' has this later update, a frame for 'gone' from an earlier one would have
    // arrived before it on this socket.
    const seen = nexts(s, 'kept').length;
    await credit();
    await until(() => nexts(s, 'kept').length > seen, "'kept' second update");
    expect(nexts(s, 'gone')).toEqual([]);
    expect(s.closed()).toBeNull();

    // The id is free: subscribing with it again is no duplicate, and it is live.
    s.subscribe('gone', BALANCE('race_user'));
    const before = nexts(s, 'kept').length;
    await credit();
    await until(() => nexts(s, 'kept').length > before, "'kept' third update");
    await until(() => nexts(s, 'gone').length > 0 || s.closed() !== null, "'gone' again");
    expect(s.closed()).toBeNull();
    s.close();
  });

  it('lets a subscribe reuse the id of one completed while starting: no 4409, one frame per update', async () => {
    const m = await t.merchant();
    const s = await rawSocket(wsUrl, keyInit(m));
    s.subscribe('reused', BALANCE('reuse_user'));
    s.complete('reused');
    s.subscribe('reused', BALANCE('reuse_user'));
    s.subscribe('probe', BALANCE('reuse_user'));
    const credit = () => t.credit(m, 'reuse_user', '1');
    await pokeUntil(credit, () => nexts(s, 'probe').length > 0 && nexts(s, 'reused').length > 0);
    expect(s.closed()).toBeNull();
    expect(nexts(s, 'reused').length).toBeGreaterThan(0);
    // Both live: two more updates are two more frames for each (a leaked first subscription would double them).
    const [reused, probe] = [nexts(s, 'reused').length, nexts(s, 'probe').length];
    await credit();
    await credit();
    await until(() => nexts(s, 'probe').length >= probe + 2, "the probe's two updates");
    await until(() => nexts(s, 'reused').length >= reused + 2, "the reused id's two updates");
    expect(nexts(s, 'reused').length - reused).toBe(nexts(s, 'probe').length - probe);
    s.close();
  });

  it('ends a reuse completed while it waited: subscribe, complete, subscribe, complete sends nothing for the id', async () => {
    const m = await t.merchant();
    const s = await rawSocket(wsUrl, keyInit(m));
    for (let k = 0; k < 2; k++) {
      s.subscribe('twice', BALANCE('twice_user'));
      s.complete('twice');
    }
    s.subscribe('probe', BALANCE('twice_user'));
    const credit = () => t.credit(m, 'twice_user', '1');
    await pokeUntil(credit, () => nexts(s, 'probe').length > 0);
    // One more update after the probe is live: any frame for 'twice' would have come before its frame.
    const seen = nexts(s, 'probe').length;
    await credit();
    await until(() => nexts(s, 'probe').length > seen, "the probe's next update");
    expect(nexts(s, 'twice')).toEqual([]);
    // And the id is free again.
    s.subscribe('twice', BALANCE('twice_user'));
    await credit();
    await until(() => nexts(s, 'twice').length > 0 || s.closed() !== null, "'twice' live");
    expect(s.closed()).toBeNull();
    s.close();
  });

  it('closes with 4400 for a subscribe whose variables are not an object, as graphql-ws does', async () => {
    const m = await t.merchant();
    const s = await rawSocket(wsUrl, keyInit(m));
    s.sendRaw('bad', `{"query":${JSON.stringify(BALANCE('x'))},"variables":"not an object"}`);
    await s.closing;
    expect(s.closed()?.code).toBe(4400);
  });
});
