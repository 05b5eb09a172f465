import { utils } from 'tronweb';
import { acct } from './account.js';
import { type Ctx, type Handler, NodeError, type Params } from './api-util.js';
import type { Chain } from './chain.js';
import { addr, renderRawData } from './json.js';
import { contractTypeNumber, PermissionError, permissionFor, signatureWeight } from './permissions.js';
import { parseIncomingTransaction, recoverSigner, type TxJson, TxParseError } from './tx.js';

/**
 * Signature and pending-pool endpoints: broadcasthex (a signed Transaction protobuf), getsignweight and
 * getapprovedlist (who signed, with what weight, against which permission; tronweb's newTxID and
 * multiSign use them), gettransactionfrompending, gettransactionlistfrompending and getpendingsize.
 */

const EMPTY = {};
/** TransactionUtil.getTransactionSignWeight words the permission errors its own way. */
const SIGN_WEIGHT_MESSAGES = {
  missing: 'Permission for this, does not exist!',
  type: 'Permission type is wrong!',
  denied: 'Permission denied!',
};
const TYPES = [
  'TransferContract',
  'TriggerSmartContract',
  'FreezeBalanceV2Contract',
  'UnfreezeBalanceV2Contract',
  'WithdrawExpireUnfreezeContract',
  'DelegateResourceContract',
  'UnDelegateResourceContract',
  'CancelAllUnfreezeV2Contract',
  'AccountPermissionUpdateContract',
];
// biome-ignore lint/suspicious/noExplicitAny: the protobuf classes tronweb registers on globalThis are untyped
const proto = (globalThis as any).TronWebProto;

/** A signed Transaction protobuf (hex) as the devnet's transaction; throws NodeError when unreadable. */
function fromHex(hex: string): TxJson {
  let pb: {
    getRawData(): { serializeBinary(): Uint8Array; getContractList(): { getType(): number }[] };
    getSignatureList_asU8(): Uint8Array[];
  };
  try {
    pb = proto.Transaction.deserializeBinary(Buffer.from(hex, 'hex'));
  } catch (err) {
    throw new NodeError((err as Error).message, 'com.google.protobuf.InvalidProtocolBufferException');
  }
  const rawHex = Buffer.from(pb.getRawData().serializeBinary()).toString('hex');
  const typeNumber = pb.getRawData().getContractList()[0]?.getType();
  const type = TYPES.find((t) => contractTypeNumber(t) === typeNumber);
  if (!type) throw new NodeError(`contract type ${typeNumber} is not supported by the devnet`);
  const raw = utils.deserializeTx.deserializeTransaction(type, rawHex);
  const signature = pb.getSignatureList_asU8().map((s) => Buffer.from(s).toString('hex'));
  const tx = parseIncomingTransaction({ raw_data: raw, signature }, false);
  if (tx.raw_data_hex !== rawHex) throw new NodeError('the devnet cannot re-encode this transaction');
  return tx;
}

function parse(p: Params, ctx: Ctx): TxJson {
  try {
    return parseIncomingTransaction(p, ctx.visible);
  } catch (err) {
    if (err instanceof TxParseError) throw new NodeError(err.message);
    throw err;
  }
}

function printTransaction(tx: TxJson, visible: boolean): object {
  return {
    visible,
    txID: tx.txID,
    raw_data: renderRawData(tx.raw_data, visible),
    raw_data_hex: tx.raw_data_hex,
    ...(tx.signature?.length ? { signature: tx.signature } : {}),
  };
}

const extention = (tx: TxJson, visible: boolean) => ({
  result: { result: true },
  txid: tx.txID,
  transaction: printTransaction(tx, visible),
});

export function createSignApi(chain: Chain): Record<string, Handler> {
  return {
    broadcasthex: (p) => {
      const tx = fromHex(String(p.transaction ?? ''));
      const r = chain.broadcast(tx);
      return {
        result: r.ok,
        code: r.ok ? 'SUCCESS' : r.code,
        txid: r.txid,
        message: r.ok ? '' : r.message,
        transaction: JSON.stringify({ signature: tx.signature, raw_data: renderRawData(tx.raw_data, true) }),
      };
    },
    getsignweight: (p, ctx) => {
      const tx = parse(p, ctx);
      const out: Record<string, unknown> = {};
      try {
        const owner = String(tx.raw_data.contract[0]?.parameter.value.owner_address ?? '');
        if (!acct.exists(chain.state, owner)) throw new PermissionError('Account does not exist!');
        const permission = permissionFor(chain.state, tx, SIGN_WEIGHT_MESSAGES);
        const { approved, weight } = signatureWeight(permission, tx);
        const enough = weight >= permission.threshold;
        out.result = { code: enough ? 'ENOUGH_PERMISSION' : 'NOT_ENOUGH_PERMISSION' };
        if (approved.length) out.approved_list = approved.map((a) => addr(a, ctx.visible));
        out.permission = {
          ...permission,
          keys: permission.keys.map((k) => ({ ...k, address: addr(k.address, ctx.visible) })),
        };
        if (weight) out.current_weight = weight;
      } catch (err) {
        if (!(err instanceof PermissionError)) throw err;
        out.result = { code: 'PERMISSION_ERROR', message: err.message };
      }
      out.transaction = extention(tx, ctx.visible);
      return out;
    },
    getapprovedlist: (p, ctx) => {
      const tx = parse(p, ctx);
      const approved = (tx.signature ?? []).map((s) => recoverSigner(tx.txID, s));
      if (approved.some((a) => a === undefined)) {
        return {
          result: { code: 'COMPUTE_ADDRESS_ERROR', message: 'signature is malformed' },
          transaction: extention(tx, ctx.visible),
        };
      }
      return {
        ...(approved.length ? { approved_list: approved.map((a) => addr(a as string, ctx.visible)) } : {}),
        result: {},
        transaction: extention(tx, ctx.visible),
      };
    },
    gettransactionfrompending: (p, ctx) => {
      const id = String(p.value ?? '').toLowerCase();
      const tx = chain.pending.txs.find((t) => t.txID === id);
      return tx ? printTransaction(tx, ctx.visible) : EMPTY;
    },
    gettransactionlistfrompending: () => ({ txId: chain.pending.txs.map((t) => t.txID) }),
    getpendingsize: () => ({ pendingSize: chain.pending.txs.length }),
  };
}
