import { acct, BANDWIDTH, createAccount, ENERGY } from './account.js';
import type { Block, ChainOptions } from './chain.js';
import { mint, TOKENS } from './contracts.js';
import { setContractState } from './energy.js';
import {
  type DevnetKey,
  FAUCET,
  FAUCET_TOKEN_UNITS,
  FAUCET_TRX_SUN,
  USDT_CONTRACT,
  WITNESS,
} from './keys.js';
import { GENESIS_WEIGHTS, PARAMS } from './params.js';
import type { State } from './state.js';
import { blockIdOf, headerHash, sha256Hex } from './tx.js';

/**
 * Block 0: the faucet's TRX and tokens, the network's stake weights (mainnet's unless configured), USDT at
 * mainnet's dynamic energy factor, and the accounts tronweb's own tests expect from tron-quickstart.
 */

export const BLOCK_VERSION = 30;
/** What tron-quickstart gives each of its generated accounts. */
export const QUICKSTART_TRX_SUN = 10_000n * 1_000_000n;

export function genesisBlock(
  state: State,
  options: ChainOptions,
  quickstart: DevnetKey[],
  time: number,
): Block {
  createAccount(state, FAUCET.addressHex, FAUCET_TRX_SUN, time);
  for (const t of TOKENS) mint(state, t.addressHex, FAUCET.addressHex, FAUCET_TOKEN_UNITS);
  const stake = options.networkStakeTrx;
  acct.addTotalWeight(state, BANDWIDTH, stake ? BigInt(stake.net) : GENESIS_WEIGHTS.net);
  acct.addTotalWeight(state, ENERGY, stake ? BigInt(stake.energy) : GENESIS_WEIGHTS.energy);
  setContractState(state, USDT_CONTRACT.addressHex, PARAMS.dynamicEnergyMaxFactor, 1, true);
  for (const k of quickstart) {
    createAccount(state, k.addressHex, QUICKSTART_TRX_SUN, time);
    acct.addBalance(state, FAUCET.addressHex, -QUICKSTART_TRX_SUN);
  }
  const header = {
    number: 0,
    txTrieRoot: '0'.repeat(64),
    witness_address: WITNESS.addressHex,
    parentHash: sha256Hex(Buffer.from('novapayments/devnet/tron/genesis')),
    version: BLOCK_VERSION,
    timestamp: time,
  };
  return {
    ...header,
    blockID: blockIdOf(0, headerHash(header)),
    witness: WITNESS.addressHex,
    txs: [],
    journal: state.takeJournal(),
  };
}
