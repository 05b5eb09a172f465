/**
 * Compiles contracts/*.sol with solc-js (the `solc` devDependency, no compiler download) and writes
 * contracts/artifacts.json: ABI and creation bytecode per contract, plus the sha256 of every source so a
 * test can tell when the committed artifact is stale.
 *
 *   npx tsx scripts/build-contracts.ts          rebuild the artifact
 *   npx tsx scripts/build-contracts.ts --check  exit 1 if the artifact does not match the sources
 *
 * The EVM target is `paris` (no PUSH0/MCOPY), so the bytecode also runs on chains and tools that lag behind
 * mainnet hardforks (ganache, some L2s/BSC forks); the devnet runs it on any later hardfork.
 */
import { createHash } from 'node:crypto';
import { readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import solc from 'solc';

const DIR = join(dirname(fileURLToPath(import.meta.url)), '..', 'contracts');
const OUT = join(DIR, 'artifacts.json');
/** The contracts the devnet deploys; anything else in the sources is a library or an interface. */
const CONTRACTS = ['TestUSDT', 'FakeToken', 'Disperse'] as const;
const SETTINGS = {
  evmVersion: 'paris',
  optimizer: { enabled: true, runs: 200 },
  outputSelection: { '*': { '*': ['abi', 'evm.bytecode.object'] } },
};

interface SolcOutput {
  errors?: { severity: 'error' | 'warning' | 'info'; formattedMessage: string }[];
  contracts?: Record<string, Record<string, { abi: unknown[]; evm: { bytecode: { object: string } } }>>;
}

const files = readdirSync(DIR)
  .filter((f) => f.endsWith('.sol'))
  .sort();
const sources = Object.fromEntries(files.map((f) => [f, { content: readFileSync(join(DIR, f), 'utf8') }]));
const hashes = Object.fromEntries(
  files.map((f) => [f, createHash('sha256').update(sources[f]!.content).digest('hex')]),
);

if (process.argv.includes('--check')) {
  const current = JSON.parse(readFileSync(OUT, 'utf8')) as { sources: Record<string, string> };
  const stale = JSON.stringify(current.sources) !== JSON.stringify(hashes);
  console.log(
    stale ? 'contracts/artifacts.json is stale: run npx tsx scripts/build-contracts.ts' : 'up to date',
  );
  process.exit(stale ? 1 : 0);
}

const started = Date.now();
const output = JSON.parse(
  solc.compile(JSON.stringify({ language: 'Solidity', sources, settings: SETTINGS })) as string,
) as SolcOutput;
const errors = (output.errors ?? []).filter((e) => e.severity === 'error');
for (const e of output.errors ?? []) console.error(e.formattedMessage);
if (errors.length > 0) process.exit(1);

const contracts: Record<string, { source: string; abi: unknown[]; bytecode: string }> = {};
for (const name of CONTRACTS) {
  const source = Object.keys(output.contracts ?? {}).find((f) => output.contracts?.[f]?.[name]);
  const c = source ? output.contracts?.[source]?.[name] : undefined;
  if (!source || !c) throw new Error(`${name} not found in the compiler output`);
  contracts[name] = { source: `contracts/${source}`, abi: c.abi, bytecode: `0x${c.evm.bytecode.object}` };
}

const artifact = {
  generatedBy: 'scripts/build-contracts.ts',
  compiler: `solc-js ${solc.version() as string}`,
  settings: { evmVersion: SETTINGS.evmVersion, optimizer: SETTINGS.optimizer },
  sources: hashes,
  contracts,
};
writeFileSync(OUT, `${JSON.stringify(artifact, null, 2)}\n`);
console.log(`wrote ${OUT} (${CONTRACTS.join(', ')}) in ${Date.now() - started} ms`);
