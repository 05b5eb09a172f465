import { TronWeb } from 'tronweb';
import { AppError } from '../../lib/errors.js';
import type { NetworkConfig } from '../registry.js';

// Development chains: payments signed by a funded key, so the scanner, confirmations and crediting run exactly
// as for a customer's payment.

export async function payTronToken(
  net: NetworkConfig,
  key: string,
  to: string,
  units: bigint,
): Promise<string> {
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

export async function payTrx(net: NetworkConfig, key: string, to: string, sun: bigint): Promise<void> {
  const tw = new TronWeb({ fullHost: net.nodeUrl, privateKey: key });
  await tw.trx.sendTransaction(to, Number(sun));
}
