import type { ChainFamily } from '../family.js';
import { TronAdapter } from './adapter.js';
import { parseTronPayoutAddress, tronAddressFromEvm } from './address.js';
import { payTronToken, payTrx } from './faucet.js';
import { TronHotWallet } from './hot-wallet.js';
import { tronNetworks } from './networks.js';
import { TronEnergyLender } from './staking.js';
import { TronSweepChain } from './sweep.js';

// TRON behind the family interface: TRC20 USDT, base58 addresses, one hot wallet per network (no nonces: a
// transaction expires instead), fees in energy and bandwidth paid in TRX.

export const tron: ChainFamily = {
  name: 'tron',
  label: 'TRON',
  coinType: 195,
  addressFromEvm: tronAddressFromEvm,
  parsePayoutAddress: parseTronPayoutAddress,
  storedAddressForms: (address) => [address],
  configuredXpub: (config) => config.tron.xpub,
  configuredPayoutKey: (config) => config.payouts.tronPrivateKey,
  setupNetworks: tronNetworks,
  openAdapter: (net) => new TronAdapter(net),
  openHotWallets: async (nets, key, config) =>
    nets.map((net) => new TronHotWallet(net, key, BigInt(config.payouts.tronMaxFeeLimitSun))),
  // delegate mode (SWEEP_POLICY "tronFees": "delegate"): a staking account lends the sweeps their energy
  openSweepChain: (net, wallet, keys, opts) =>
    wallet instanceof TronHotWallet
      ? new TronSweepChain(
          net,
          wallet,
          keys,
          opts.stakingKey ? new TronEnergyLender(net, wallet, opts.stakingKey) : undefined,
        )
      : null,
  sweepPolicyFields: ['tronFees', 'stakingAccount', 'leftoverMin'],
  payToken: payTronToken,
  payNative: payTrx,
  devFundingNative: 10_000_000_000n,
};
