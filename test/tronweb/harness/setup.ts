import { afterAll } from 'vitest';
import { startTronDevnet } from '../../../src/devnet/tron/index.js';
import { EXCLUDED } from './excluded.js';
import { installMochaGlobals } from './mocha-globals.js';

/**
 * Runs before each copied tronweb test file: a devnet configured like the tron-quickstart the tests were
 * written for (100 funded accounts, a chain whose only stake is the tests' own, one-minute unfreezing, the
 * solidity node one block behind), its address and faucet key handed to the tests' config.ts through the
 * environment it reads, and mocha's globals mapped onto vitest.
 */
const devnet = await startTronDevnet({
  quickstartAccounts: 100,
  networkStakeTrx: { net: 0, energy: 0 },
  unfreezeDelayMs: 60_000,
  solidDepth: 1,
  // read Date.now at every call: the tests' wait() moves the process clock (virtual-wait.ts)
  clock: () => Date.now(),
});
process.env.HOST_PORT = String(devnet.port);
process.env.PRIVATE_KEY = devnet.faucet.privateKey;
process.env.ADDRESS_HEX = devnet.faucet.addressHex;
process.env.ADDRESS_BASE58 = devnet.faucet.address;
installMochaGlobals(new Set(EXCLUDED.keys()));

afterAll(async () => {
  await devnet.close();
});
