import type { Block, Chain } from './chain.js';
import { tokenBalance as readTokenBalance, SELECTORS, word } from './contracts.js';
import { currentCycle, setContractState } from './energy.js';
import { type FailureKind, trxBalance as readTrxBalance } from './execute.js';
import { addressFromPrivateKey, DISPERSE_CONTRACT, FAUCET, normalizeAddress, USDT_CONTRACT } from './keys.js';
import { PARAMS } from './params.js';
import { buildTransaction, signTransaction, type TxJson } from './tx.js';

/** A broadcast the devnet refused (same codes and texts as the HTTP API). */
export class TronDevnetError extends Error {
  constructor(
    readonly code: string,
    message: string,
    readonly txid: string,
  ) {
    super(`${code}: ${message}`);
  }
}

export type Amount = bigint | number | string;
export type Resource = 'ENERGY' | 'BANDWIDTH';

export interface TransferTokenOptions {
  /** Token contract (base58 or 41-hex); default the devnet USDT. */
  token?: string;
  /** fee_limit in sun; default 150 TRX (tronweb's default). */
  feeLimit?: number;
  /** Make this transaction fail when it is executed. */
  fail?: FailureKind;
  /** How the recipient word is written in the calldata: 12 zero bytes (evm, default) or 11 and 41 (tron). */
  addressEncoding?: 'evm' | 'tron';
}

export interface BlockSummary {
  number: number;
  blockID: string;
  timestamp: number;
  transactions: string[];
}

export const summary = (b: Block): BlockSummary => ({
  number: b.number,
  blockID: b.blockID,
  timestamp: b.timestamp,
  transactions: b.txs.map((t) => t.tx.txID),
});

const DEFAULT_FEE_LIMIT = 150_000_000;

function mustAddress(value: string, what: string): string {
  const a = normalizeAddress(value);
  if (!a) throw new TypeError(`invalid ${what} address: ${value}`);
  return a;
}

const addressWord = (hex41: string, encoding: 'evm' | 'tron') =>
  encoding === 'tron' ? hex41.padStart(64, '0') : hex41.slice(2).padStart(64, '0');

/** Builds, signs and submits transactions through the same path as /wallet/broadcasttransaction. */
export function createControls(chain: Chain) {
  let lastTimestamp = 0;
  const ref = () => {
    const r = chain.refBlock();
    // distinct raw_data (and txID) for identical transfers built in the same millisecond
    lastTimestamp = Math.max(r.timestamp, lastTimestamp + 1);
    return { ...r, timestamp: lastTimestamp };
  };

  /** Submits a signed transaction (signature recovery skipped when `trusted`); throws TronDevnetError. */
  const submit = (tx: TxJson, trusted = true): string => {
    const r = chain.broadcast(tx, { trusted });
    if (!r.ok) throw new TronDevnetError(r.code, r.message, r.txid);
    return r.txid;
  };

  const call = (
    fromPrivateKey: string,
    contract: string,
    data: string,
    feeLimit = DEFAULT_FEE_LIMIT,
  ): TxJson => {
    const owner = addressFromPrivateKey(fromPrivateKey);
    const value = { data, owner_address: owner, contract_address: contract };
    return signTransaction(
      buildTransaction('TriggerSmartContract', value, ref(), { feeLimit }),
      fromPrivateKey,
    );
  };

  /** Builds, signs and submits a system contract of the key's account. */
  const system = (fromPrivateKey: string, type: string, value: Record<string, unknown>): string => {
    const owner = addressFromPrivateKey(fromPrivateKey);
    const tx = buildTransaction(type, { owner_address: owner, ...value }, ref());
    return submit(signTransaction(tx, fromPrivateKey));
  };

  const transferToken = (
    fromPrivateKey: string,
    to: string,
    amount: Amount,
    opts: TransferTokenOptions = {},
  ): string => {
    const token = mustAddress(opts.token ?? USDT_CONTRACT.addressHex, 'token');
    const data = `${SELECTORS.transfer}${addressWord(mustAddress(to, 'recipient'), opts.addressEncoding ?? 'evm')}${word(BigInt(amount))}`;
    const tx = call(fromPrivateKey, token, data, opts.feeLimit);
    if (opts.fail) chain.failTransaction(tx.txID, opts.fail);
    return submit(tx);
  };

  return {
    submit,
    transferToken,

    /** USDT from the faucet. */
    sendUsdt: (to: string, amount: Amount, opts: Omit<TransferTokenOptions, 'token'> = {}) =>
      transferToken(FAUCET.privateKey, to, amount, opts),

    /** TRX (sun) from the faucet or `fromPrivateKey`; activates the recipient account when it is new. */
    sendTrx: (to: string, amountSun: Amount, opts: { fromPrivateKey?: string } = {}): string => {
      const key = opts.fromPrivateKey ?? FAUCET.privateKey;
      const value = {
        amount: Number(amountSun),
        owner_address: addressFromPrivateKey(key),
        to_address: mustAddress(to, 'recipient'),
      };
      return submit(signTransaction(buildTransaction('TransferContract', value, ref()), key));
    },

    /**
     * Pays several recipients in one transaction of the Disperse contract: an approve transaction, then
     * disperseToken, whose Transfer logs are emitted by the token from an inner call (contract_address of
     * the transaction is the Disperse contract).
     */
    disperseToken: (
      fromPrivateKey: string,
      payments: { to: string; amount: Amount }[],
      opts: { token?: string } = {},
    ) => {
      const token = mustAddress(opts.token ?? USDT_CONTRACT.addressHex, 'token');
      const total = payments.reduce((s, p) => s + BigInt(p.amount), 0n);
      const approveData = `${SELECTORS.approve}${addressWord(DISPERSE_CONTRACT.addressHex, 'evm')}${word(total)}`;
      const approveTxid = submit(call(fromPrivateKey, token, approveData));
      const n = payments.length;
      const head = 3 * 32;
      const data =
        SELECTORS.disperseToken +
        addressWord(token, 'evm') +
        word(BigInt(head)) +
        word(BigInt(head + 32 + n * 32)) +
        word(BigInt(n)) +
        payments.map((p) => addressWord(mustAddress(p.to, 'recipient'), 'evm')).join('') +
        word(BigInt(n)) +
        payments.map((p) => word(BigInt(p.amount))).join('');
      const txid = submit(call(fromPrivateKey, DISPERSE_CONTRACT.addressHex, data, 1_000_000_000));
      return { approveTxid, txid };
    },

    /** FreezeBalanceV2Contract: stakes `amountSun` of TRX for ENERGY (default) or BANDWIDTH. */
    freezeBalance: (fromPrivateKey: string, amountSun: Amount, resource: Resource = 'ENERGY') =>
      system(fromPrivateKey, 'FreezeBalanceV2Contract', { frozen_balance: Number(amountSun), resource }),

    /** UnfreezeBalanceV2Contract: starts unstaking; the TRX can be withdrawn after the unfreeze delay. */
    unfreezeBalance: (fromPrivateKey: string, amountSun: Amount, resource: Resource = 'ENERGY') =>
      system(fromPrivateKey, 'UnfreezeBalanceV2Contract', { unfreeze_balance: Number(amountSun), resource }),

    /** WithdrawExpireUnfreezeContract: credits the unstaked TRX whose delay has passed. */
    withdrawExpireUnfreeze: (fromPrivateKey: string) =>
      system(fromPrivateKey, 'WithdrawExpireUnfreezeContract', {}),

    /** DelegateResourceContract: lends `amountSun` of staked TRX's resource to `to` (lockPeriod in blocks). */
    delegateResource: (
      fromPrivateKey: string,
      to: string,
      amountSun: Amount,
      resource: Resource = 'ENERGY',
      opts: { lock?: boolean; lockPeriod?: number } = {},
    ) =>
      system(fromPrivateKey, 'DelegateResourceContract', {
        resource,
        balance: Number(amountSun),
        receiver_address: mustAddress(to, 'receiver'),
        lock: opts.lock === true,
        lock_period: opts.lockPeriod ?? 0,
      }),

    /** UnDelegateResourceContract: takes a delegation back. */
    undelegateResource: (
      fromPrivateKey: string,
      to: string,
      amountSun: Amount,
      resource: Resource = 'ENERGY',
    ) =>
      system(fromPrivateKey, 'UnDelegateResourceContract', {
        resource,
        balance: Number(amountSun),
        receiver_address: mustAddress(to, 'receiver'),
      }),

    /** Sets a contract's dynamic energy factor (0 … 34 000, the extra energy share per 10 000). */
    setEnergyFactor: (contract: string, factor: number) => {
      if (!Number.isInteger(factor) || factor < 0 || factor > PARAMS.dynamicEnergyMaxFactor) {
        throw new RangeError(`energy factor must be an integer 0..${PARAMS.dynamicEnergyMaxFactor}`);
      }
      const c = mustAddress(contract, 'contract');
      chain.amendHead((s) => setContractState(s, c, factor, currentCycle(chain.clock())));
    },

    trxBalance: (address: string, opts: { solid?: boolean } = {}): bigint =>
      readTrxBalance(chain.reader(opts.solid ?? false), mustAddress(address, 'account')) ?? 0n,

    tokenBalance: (address: string, opts: { token?: string; solid?: boolean } = {}): bigint =>
      readTokenBalance(
        chain.reader(opts.solid ?? false),
        mustAddress(opts.token ?? USDT_CONTRACT.addressHex, 'token'),
        mustAddress(address, 'account'),
      ),
  };
}

export type Controls = ReturnType<typeof createControls>;
