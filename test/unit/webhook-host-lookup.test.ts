import type { LookupAddress } from 'node:dns';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { BoundedLookup } from '../../src/modules/webhooks/bounded-lookup.js';
import { HostLookup, hostsFileNames, isLocalName } from '../../src/modules/webhooks/host-lookup.js';
import { eventually } from '../helpers/receiver.js';

// Webhook hosts' lookups (src/modules/webhooks/host-lookup.ts, bounded-lookup.ts): public names go to the name
// servers (no thread), the names only the local system knows to getaddrinfo, where a host holds one thread at
// most and hosts take turns.

/** getaddrinfo whose answers the test gives: `calls` in order, each answered by `answer(i)`. */
function threadPool() {
  const calls: { host: string; options: { family?: number }; answer: (address?: string) => void }[] = [];
  const lookup = ((
    host: string,
    options: { family?: number },
    cb: (e: Error | null, a: LookupAddress[]) => void,
  ) => {
    calls.push({
      host,
      options,
      answer: (address = '93.184.216.34') => cb(null, [{ address, family: address.includes(':') ? 6 : 4 }]),
    });
  }) as never;
  return { calls, lookup };
}

const outcome = (p: Promise<unknown>) =>
  p.then(
    (v) => ({ ok: v }),
    (err: Error & { code?: string }) => ({ error: err.code ?? err.message }),
  );

describe('BoundedLookup', () => {
  it('gives a host that never answers one thread, its other callers joining that lookup', async () => {
    const pool = threadPool();
    const lookup = new BoundedLookup(pool.lookup, { timeoutMs: 300, inFlight: 2 });
    const dead = Array.from({ length: 5 }, () => outcome(lookup.all('dead.invalid')));
    const good = lookup.all('good.invalid');
    expect(pool.calls.map((c) => c.host)).toEqual(['dead.invalid', 'good.invalid']);
    pool.calls[1]!.answer();
    await expect(good).resolves.toEqual([{ address: '93.184.216.34', family: 4 }]);
    for (const d of dead) expect(await d).toEqual({ error: 'ETIMEOUT' });
    // Still stuck past its callers' wait, it holds its one thread; a new caller for it joins it.
    const again = lookup.all('dead.invalid');
    expect(pool.calls).toHaveLength(2);
    pool.calls[0]!.answer('93.184.216.35');
    await expect(again).resolves.toEqual([{ address: '93.184.216.35', family: 4 }]);
  });

  it('serves waiting hosts in turn: a host with many waiting lookups does not go before the others', async () => {
    const pool = threadPool();
    const lookup = new BoundedLookup(pool.lookup, { timeoutMs: 5_000, inFlight: 1 });
    const first = lookup.all('busy.invalid');
    // Two lookups of one host that cannot join each other (another family), then another host's.
    const v4 = lookup.all('a.invalid', { family: 4 });
    const v6 = lookup.all('a.invalid', { family: 6 });
    const b = lookup.all('b.invalid');
    pool.calls[0]!.answer();
    await first;
    await eventually(() => pool.calls.length === 2);
    pool.calls[1]!.answer();
    await v4;
    await eventually(() => pool.calls.length === 3);
    pool.calls[2]!.answer();
    await b;
    await eventually(() => pool.calls.length === 4);
    pool.calls[3]!.answer('2606:2800:220:1::1');
    await v6;
    expect(pool.calls.map((c) => `${c.host}/${c.options.family ?? 0}`)).toEqual([
      'busy.invalid/0',
      'a.invalid/4',
      'b.invalid/0',
      'a.invalid/6',
    ]);
  });

  it('answers 503 past 1,000 waiting callers, and a caller that gave up leaves the queue', async () => {
    const pool = threadPool();
    const lookup = new BoundedLookup(pool.lookup, { timeoutMs: 300, inFlight: 1 });
    const stuck = outcome(lookup.all('stuck.invalid'));
    const waiting = Array.from({ length: 1000 }, (_, i) => outcome(lookup.all(`w${i}.invalid`)));
    expect(await outcome(lookup.all('one-more.invalid'))).toEqual({ error: 'service_unavailable' });
    // Joining a lookup under way needs no place in the queue.
    const joined = outcome(lookup.all('stuck.invalid'));
    for (const w of waiting) expect(await w).toEqual({ error: 'ETIMEOUT' });
    expect(await stuck).toEqual({ error: 'ETIMEOUT' });
    expect(await joined).toEqual({ error: 'ETIMEOUT' });
    // Every waiting caller gave up: when the thread frees, nobody's lookup is run for them.
    const next = lookup.all('next.invalid');
    pool.calls[0]!.answer();
    await eventually(() => pool.calls.length === 2);
    expect(pool.calls[1]!.host).toBe('next.invalid');
    pool.calls[1]!.answer();
    await next;
  });
});

describe('HostLookup', () => {
  const dir = mkdtemp(join(tmpdir(), 'hosts-'));
  afterAll(async () => rm(await dir, { recursive: true }));

  it('asks getaddrinfo only for names the local system answers, the name servers for the rest', async () => {
    const hostsFile = join(await dir, 'hosts');
    await writeFile(hostsFile, '127.0.0.1 localhost\n10.0.0.5 receiver.corp.example alias # the receiver\n');
    const pool = threadPool();
    const queries: string[] = [];
    const resolver = {
      resolve4: async (host: string) => {
        queries.push(`A ${host}`);
        return ['93.184.216.34'];
      },
      resolve6: async (host: string) => {
        queries.push(`AAAA ${host}`);
        return ['2606:2800:220:1::1'];
      },
    };
    const lookup = new HostLookup(pool.lookup, { timeoutMs: 1_000, inFlight: 2 }, { resolver, hostsFile });
    for (const host of [
      'localhost',
      'hooks',
      'Receiver.Corp.Example',
      'a.invalid',
      'x.internal',
      'y.home.arpa',
    ]) {
      const p = lookup.all(host);
      await eventually(() => pool.calls.at(-1)?.host === host);
      pool.calls.at(-1)!.answer('10.0.0.5');
      await expect(p).resolves.toEqual([{ address: '10.0.0.5', family: 4 }]);
    }
    expect(queries).toEqual([]);
    // Public names: both families, IPv4 first; a connection's family asks for that one only.
    expect(await lookup.all('example.com')).toEqual([
      { address: '93.184.216.34', family: 4 },
      { address: '2606:2800:220:1::1', family: 6 },
    ]);
    expect(await lookup.all('example.org', { family: 4 })).toEqual([{ address: '93.184.216.34', family: 4 }]);
    expect(await lookup.all('hooks.', { family: 6 })).toEqual([{ address: '2606:2800:220:1::1', family: 6 }]);
    expect(queries).toEqual(['A example.com', 'AAAA example.com', 'A example.org', 'AAAA hooks.']);
    expect(pool.calls).toHaveLength(6);
  });

  it('fails with the telling error when neither family has an address, and within its timeout', async () => {
    const code = (c: string) => Object.assign(new Error(c), { code: c });
    const never = new Promise<string[]>(() => {});
    const answers: Record<string, [() => Promise<string[]>, () => Promise<string[]>]> = {
      'v4only.example': [async () => ['93.184.216.34'], () => never],
      'dead.example': [() => never, () => never],
      'nodata.example': [() => Promise.reject(code('ENODATA')), () => Promise.reject(code('ETIMEOUT'))],
      'missing.example': [() => Promise.reject(code('ENOTFOUND')), () => Promise.reject(code('ENOTFOUND'))],
    };
    const resolver = {
      resolve4: (host: string) => answers[host]![0](),
      resolve6: (host: string) => answers[host]![1](),
    };
    const lookup = new HostLookup(threadPool().lookup, { timeoutMs: 200, inFlight: 2 }, { resolver });
    expect(await outcome(lookup.all('nodata.example'))).toEqual({ error: 'ETIMEOUT' });
    expect(await outcome(lookup.all('missing.example'))).toEqual({ error: 'ENOTFOUND' });
    expect(await outcome(lookup.all('dead.example'))).toEqual({ error: 'ETIMEOUT' });
    // One family's query hanging past the caller's wait fails the lookup (its connection waits no longer).
    expect(await outcome(lookup.all('v4only.example'))).toEqual({ error: 'ETIMEOUT' });
  });

  it('knows local names and reads hosts files', () => {
    for (const local of [
      'localhost',
      'LOCALHOST.',
      'hooks.localhost',
      'receiver',
      'a.b.invalid',
      'printer.local',
    ])
      expect(isLocalName(local), local).toBe(true);
    for (const dns of [
      'example.com',
      'good.example',
      'receiver.',
      'localhost.example.com',
      'internal.example.com',
    ])
      expect(isLocalName(dns), dns).toBe(false);
    expect([...hostsFileNames('# c\n127.0.0.1\tlocalhost  Vm # x\n::1 ip6-localhost\n\n')]).toEqual([
      'localhost',
      'vm',
      'ip6-localhost',
    ]);
  });
});
