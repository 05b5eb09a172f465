import { Contract, JsonRpcProvider, Wallet } from 'ethers';
import { TronWeb } from 'tronweb';
import { AppError } from '../lib/errors.js';
import type { NetworkConfig } from './registry.js';

// Test mode pays deposits for real on the development chains: a token transfer signed by the network's
// faucet key, so the scanner, confirmations and crediting run exactly as for a customer's payment.

const ERC20_ABI = ['function transfer(address to, uint256 amount) returns (bool)'];

export async function payFromFaucet(net: NetworkConfig, to: string, units: bigint): Promise<string> {
  if (!net.faucetPrivateKey)
    throw new AppError('unsupported_network', `${net.network} has no development faucet`);
  if (net.family === 'tron') return payTron(net, net.faucetPrivateKey, to, units);
  const provider = new JsonRpcProvider(net.nodeUrl, undefined, {
    cacheTimeout: -1,
    pollingInterval: 50,
    staticNetwork: true,
  });
  try {
    const wallet = new Wallet(net.faucetPrivateKey, provider);
    const token = new Contract(net.token.contract, ERC20_ABI, wallet);
    const tx = await (token.transfer as (to: string, amount: bigint) => Promise<{ hash: string }>)(to, units);
    return tx.hash;
  } finally {
    provider.destroy();
  }
}

async function payTron(net: NetworkConfig, key: string, to: string, units: bigint): Promise<string> {
  const tw = new TronWeb({ fullHost: net.nodeUrl, privateKey: key });
  const from = tw.address.fromPrivateKey(key) as string;
  const built = await tw.transactionBuilder.triggerSmartContract(
    net.token.contract,
    'transfer(address,uint256)',
    { feeLimit: 100_000_000 },
    [
      { type: 'address', value: to },
      { type: 'uint256', value: units.toString() },
    ],
    from,
  );
  if (!built.result?.result)
    throw new AppError('internal_error', 'the development chain refused to build the transfer');
  const signed = await tw.trx.sign(built.transaction);
  const sent = await tw.trx.sendRawTransaction(signed);
  if (!sent.result)
    throw new AppError(
      'internal_error',
      `the development chain refused the transfer: ${sent.code ?? 'unknown'}`,
    );
  return signed.txID;
}
