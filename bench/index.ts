// `npm run bench -- <name>`: runs one benchmark. Each benchmark is a module exporting `run(args)`; add new
// ones to the table below (they are loaded only when asked for, so one's imports never slow another).

interface Benchmark {
  description: string;
  load: () => Promise<{ run: (args: string[]) => Promise<void> }>;
}

const BENCHMARKS: Record<string, Benchmark> = {
  transfers: {
    description:
      'signed POST /api/v1/transfer over HTTP, random and hot-payee, against pgbench tpcb-like (~2 min)',
    load: () => import('./transfers.js'),
  },
  fanout: {
    description:
      '1,000 and 5,000 graphql-ws subscribers of one stream, donations one at a time and every 50 ms: commit → last client, against bare graphql-ws (~4-5 min)',
    load: () => import('./fanout.js'),
  },
  'fanout-memory': {
    description:
      'a diagnosis for issue 14: one server, N (FANOUT_MEMORY_N, 5,000) stream subscribers open, 40 donations, close; process.memoryUsage() through it and after a forced GC, heap snapshots with FANOUT_MEMORY_SNAPSHOTS=1 (~2 min)',
    load: () => import('./fanout-memory.js'),
  },
  webhooks: {
    description:
      '2,000 transfers to 1 and 10 webhook endpoints on a local receiver: deliveries/s, against plain fetch (~4 min)',
    load: () => import('./webhooks.js'),
  },
  'scan-tron': {
    description:
      'TRC20 deposit scanner in-process on a TRON devnet: catch-up over 20,000 blocks / 50,000 transfers to 10,000 watched addresses, head latency, against a bare fetch loop (~5 min)',
    load: () => import('./scan-tron.js'),
  },
  'scan-evm': {
    description:
      'ERC20 deposit scanner in-process on the hardhat EVM devnet: catch-up over 5,000 blocks with transfers (3,000 to 10,000 watched addresses), blocks/s and credits/s, against a bare JSON-RPC loop (~5 min)',
    load: () => import('./scan-evm.js'),
  },
  embedded: {
    description:
      'the embedded default (`npm start`, EMBEDDED=always, new DATA_DIR): first start, memory idle and after 2,000 transfers, stop, second start; `--against <checkout>` runs another checkout alternately in the same run (~1-3 min)',
    load: () => import('./embedded.js'),
  },
  payouts: {
    description:
      'EVM payout worker in-process on the hardhat devnet: 1,000 approved withdrawals, passes until all are sent (payouts/s) and completed (completions/s), against bare ethers sends (~2 min)',
    load: () => import('./payouts.js'),
  },
  sweep: {
    description:
      'treasury sweeper in-process on the hardhat devnet: 500 credited ERC20 deposits topped up (Disperse) and swept into the hot wallet, sweeps/s end to end and per stage, against the same RPCs in a bare ethers loop (~5 min)',
    load: () => import('./sweep.js'),
  },
  'sweep-tron': {
    description:
      'the same for TRC20 on the TRON devnet, burning TRX (one top-up per address, 19 confirmations, a block every 3 s), against a bare tronweb loop (~5-10 min)',
    load: () => import('./sweep-tron.js'),
  },
};

function usage(): string {
  const width = Math.max(...Object.keys(BENCHMARKS).map((n) => n.length));
  const lines = Object.entries(BENCHMARKS).map(([n, b]) => `  ${n.padEnd(width)}  ${b.description}`);
  return ['usage: npm run bench -- <name>', '', 'benchmarks:', ...lines, ''].join('\n');
}

const [name, ...args] = process.argv.slice(2);
const bench = name === undefined ? undefined : BENCHMARKS[name];
if (name === undefined || name === '--help' || name === '-h') {
  process.stdout.write(usage());
} else if (!bench) {
  process.stderr.write(`unknown benchmark '${name}'\n\n${usage()}`);
  process.exitCode = 2;
} else {
  try {
    await (await bench.load()).run(args);
  } catch (err) {
    process.stderr.write(`bench ${name} failed: ${(err as Error).stack ?? String(err)}\n`);
    process.exitCode = 1;
  }
}
