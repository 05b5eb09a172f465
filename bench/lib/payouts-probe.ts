import { AsyncLocalStorage } from 'node:async_hooks';
import type { JsonRpcProvider } from 'ethers';
import type { App } from '../../src/app.js';
import type { EvmDevnet } from '../../src/devnet/evm/index.js';
import type { PayoutProcessor, TickResult } from '../../src/modules/payouts/processor.js';
import { MethodTimers } from './method-timers.js';

// The instrumentation of `npm run bench -- payouts` (bench/payouts.ts): wrapped methods of the app's instances;
// nothing in src/ changes.

export interface Probe {
  t: MethodTimers;
  /** Set while a pass the bench started runs: only those pass the hold, and only their statements count. */
  als: AsyncLocalStorage<true>;
  /** Scheduled passes (BullMQ scheduler, start-up pass, the NOTIFY of each approval) turned away. */
  scheduled: number;
  /** SQL statements sent inside bench passes, and how many of them were COMMIT. */
  statements: number;
  commits: number;
  /** Open transactions store.open() returned in the current pass. */
  lastOpen: number;
}

export function instrument(app: App, processor: PayoutProcessor, devnet: EvmDevnet): Probe {
  const t = new MethodTimers();
  const probe: Probe = {
    t,
    als: new AsyncLocalStorage<true>(),
    scheduled: 0,
    statements: 0,
    commits: 0,
    lastOpen: 0,
  };
  const p = processor as any;
  holdScheduledPasses(p, probe);
  timeRpcs(p.wallet.provider() as JsonRpcProvider, t);
  timeStatements(app.pool as any, probe);
  timeSteps(p, probe, devnet);
  return probe;
}

const inPass = (probe: Probe) => probe.als.getStore() === true;

/** The hold: the BullMQ worker's job calls processor.tick(); only the bench's passes run. */
function holdScheduledPasses(p: any, probe: Probe): void {
  const tick = p.tick.bind(p) as () => Promise<TickResult>;
  p.tick = async (): Promise<TickResult> => {
    if (!inPass(probe)) {
      probe.scheduled++;
      return { skipped: true, sent: 0, completed: 0, failed: 0, replaced: 0, waiting: 0, alert: null };
    }
    return tick();
  };
}

/**
 * Every RPC the hot wallet sends goes through its one JsonRpcProvider's send() (ethers' getFeeData and
 * Contract calls included).
 */
function timeRpcs(provider: JsonRpcProvider, t: MethodTimers): void {
  const send = provider.send.bind(provider);
  provider.send = async (method: string, params: unknown[] | Record<string, unknown>) => {
    if (!t.active) return send(method, params);
    const done = [t.start('RPC (any)'), t.start('I/O (any)'), t.start(`rpc ${method}`)];
    try {
      return await send(method, params);
    } finally {
      for (const d of done) d();
    }
  };
}

/** Every SQL statement of a pass: pool.query, and the statements of clients taken with pool.connect(). */
function timeStatements(pool: any, probe: Probe): void {
  const { t } = probe;
  const timeDb = (r: unknown, text: unknown) => {
    if (!t.active || !inPass(probe) || !(r instanceof Promise)) return r;
    probe.statements++;
    if (typeof text === 'string' && /^\s*commit/i.test(text)) probe.commits++;
    const done = [t.start('DB (any)'), t.start('I/O (any)')];
    return r.finally(() => {
      for (const d of done) d();
    });
  };
  const query = pool.query.bind(pool);
  const wrapped = new WeakSet<object>();
  const wrapClient = (c: any) => {
    if (!c || wrapped.has(c)) return c;
    wrapped.add(c);
    const q = c.query.bind(c);
    c.query = (...args: any[]) => timeDb(q(...args), typeof args[0] === 'string' ? args[0] : args[0]?.text);
    return c;
  };
  pool.query = (...args: any[]) => {
    // pg-pool's own query() takes a client with connect(cb) and calls client.query with a callback (untimed
    // there): the statement is timed here, acquiring the client included.
    return timeDb(query(...args), typeof args[0] === 'string' ? args[0] : args[0]?.text);
  };
  const connect = pool.connect.bind(pool);
  pool.connect = (cb?: (err: Error | undefined, c: any, release: any) => void) =>
    cb
      ? connect((err: Error | undefined, c: any, release: any) => cb(err, wrapClient(c), release))
      : connect().then(wrapClient);
}

/** The steps: the processor's, its store's, wallet's and ledger's methods, and the node's own work. */
function timeSteps(p: any, probe: Probe, devnet: EvmDevnet): void {
  const { t } = probe;
  t.wrap(p, 'follow', 'follow');
  t.wrap(p, 'send', 'send');
  const store = p.store;
  for (const m of [
    'open',
    'approved',
    'inFlight',
    'recordSigned',
    'markBroadcast',
    'touchBroadcast',
    'markMined',
    'markUnmined',
    'recordBalances',
    'setWaiting',
    'recordReplacement',
  ])
    t.wrap(store, m, `store.${m}`);
  const open = store.open;
  store.open = async (...args: any[]) => {
    const r = await open(...args);
    probe.lastOpen = r.length;
    return r;
  };
  for (const m of ['lookup', 'balances', 'feeCost', 'prepare', 'broadcast', 'chainNonce'])
    t.wrap(p.wallet, m, `wallet.${m}`);
  t.wrap(p.ledger, 'post', 'ledger.post');
  // The node's own work inside each request (hardhat in this process; the mine loop's calls included).
  t.wrap(devnet.provider, 'request', (args) => `node ${String(args[0]?.method)}`);
}
