// Reading blocks and transaction infos as java-tron prints them: protobuf JSON, where a field holding its
// default (0, false, "", enum 0) is left out, not written. The genesis block therefore has no
// `raw_data.number` (and a chain whose genesis time is 0 no `timestamp`), and a receipt or fee of 0 is
// absent (shared/fixtures/tron/README.md, fact 9). `{}` is "not found" (fact 10). An absent number is 0,
// never "missing"; only an absent blockID or id means the node has no such thing.

export interface RawBlockHeader {
  blockID?: string;
  block_header?: { raw_data?: { number?: number; parentHash?: string; timestamp?: number } };
}

export interface TronBlockRef {
  number: number;
  hash: string;
  parentHash: string;
  timestampMs: number;
}

/**
 * The block's height, hash, parent and time; null for `{}` (no such block). The height is
 * `raw_data.number`, 0 when omitted, and must agree with the first 16 hex digits of the blockID (which
 * hold the height too): a block whose two heights differ is nonsense from the node, thrown as `fail(…)`.
 */
export function readBlock(b: RawBlockHeader, fail: (message: string) => Error): TronBlockRef | null {
  if (!b.blockID) return null;
  const raw = b.block_header?.raw_data ?? {};
  const number = raw.number ?? 0;
  const idHeight = Number.parseInt(b.blockID.slice(0, 16), 16);
  if (!Number.isSafeInteger(number) || idHeight !== number)
    throw fail(`block ${b.blockID} says it is number ${raw.number ?? '(omitted: 0)'}`);
  return { number, hash: b.blockID, parentHash: raw.parentHash ?? '', timestampMs: raw.timestamp ?? 0 };
}

/**
 * A chain parameter from getchainparameters (`{"chainParameter":[{"key":…,"value":…}]}`): a parameter whose
 * value is 0 is printed as `{"key":…}` alone, so present without a value is 0; absent altogether is null.
 */
export function chainParameter(
  answer: { chainParameter?: { key: string; value?: number }[] },
  key: string,
): number | null {
  const entry = answer.chainParameter?.find((p) => p.key === key);
  return entry ? (entry.value ?? 0) : null;
}
