import type { Chain } from './chain.js';
import { validateContract } from './execute.js';
import { renderUnsigned } from './json.js';
import { normalizeAddress } from './keys.js';
import { buildTransaction } from './tx.js';

/** Request reading and error printing shared by the /wallet endpoints (java-tron's servlet conventions). */

export type Params = Record<string, unknown>;
export interface Ctx {
  solid: boolean;
  visible: boolean;
}
export type Handler = (p: Params, ctx: Ctx) => unknown;

/** Printed as {"Error":"class <exception> : <message>"} with HTTP 200, as java-tron's servlets do. */
export class NodeError extends Error {
  constructor(
    message: string,
    readonly exception = 'java.lang.IllegalArgumentException',
  ) {
    super(message);
  }
  body(): object {
    return { Error: `class ${this.exception} : ${this.message}` };
  }
}

export const bool = (v: unknown) => v === true || v === 'true';
export const int = (v: unknown): number | undefined => {
  const n = typeof v === 'string' && v.trim() !== '' ? Number(v) : v;
  return typeof n === 'number' && Number.isSafeInteger(n) ? n : undefined;
};
/** A number field of a request: java-tron reads it into a protobuf message, where an absent field is 0. */
export const num = (v: unknown): number | undefined => (v === undefined ? 0 : int(v));
export const text = (s: string, visible: boolean) => (visible ? s : Buffer.from(s, 'utf8').toString('hex'));

/** Reads an address parameter as java-tron does: base58 only with visible=true, 41-hex only without. */
export function address(p: Params, key: string, visible: boolean, required = true): string | undefined {
  const v = p[key];
  if (v === undefined || v === '') {
    if (required) throw new NodeError(`${key} isn't set.`, 'java.security.InvalidParameterException');
    return undefined;
  }
  const s = String(v);
  const parsed = normalizeAddress(s);
  if (!parsed || (visible ? !s.startsWith('T') : !/^41/i.test(s))) {
    throw new NodeError(`Invalid address ${s} for ${key} (visible=${visible})`);
  }
  return parsed;
}

/** TransactionExtention with a failed Return: {"result":{"code":…,"message":…}} (message hex unless visible). */
export const failure = (code: string, message: string, visible: boolean) => ({
  result: { code, message: text(message, visible) },
});

/** Builds a transaction the node returns unsigned; refused like createTransactionCapsule when invalid. */
export function buildChecked(
  chain: Chain,
  type: string,
  value: Record<string, unknown>,
  p: Params,
  ctx: Ctx,
) {
  const tx = buildTransaction(type, value, chain.refBlock(), {
    feeLimit: type === 'TriggerSmartContract' ? int(p.fee_limit) : undefined,
    permissionId: int(p.Permission_id),
  });
  const invalid = validateContract(chain.state, tx, chain.clock());
  if (invalid) throw new NodeError(invalid, 'org.tron.core.exception.ContractValidateException');
  return renderUnsigned(tx, ctx.visible);
}
