import { keccak256, sha256, toUtf8Bytes } from 'ethers';
import { TronWeb } from 'tronweb';

/**
 * Fixed keys and addresses of the devnet. Everything is derived from one seed text, so every devnet that
 * starts (in tests, in `npm start`, in the benchmark) has the same faucet, witnesses and token contracts,
 * and configuration can name them without asking a running devnet.
 */
const SEED = 'novapayments/devnet/tron';

function seededKey(label: string): string {
  return sha256(toUtf8Bytes(`${SEED}/${label}`)).slice(2);
}

/** java-tron derives a contract address from keccak256(deploy txID ‖ owner); we use a seeded "txID". */
function seededContractAddress(label: string, ownerHex: string): string {
  const txId = seededKey(`contract/${label}`);
  return `41${keccak256(`0x${txId}${ownerHex}`).slice(-40)}`;
}

const ADDRESS_HEX = /^41[0-9a-f]{40}$/;

/** 21-byte hex with the 41 prefix, lower case: the devnet's internal form of every address. */
export function isHexAddress(value: string): boolean {
  return ADDRESS_HEX.test(value);
}

/** Accepts base58 `T…`, `41…` hex or `0x…` 20-byte hex; returns 41-hex or undefined when invalid. */
export function normalizeAddress(value: unknown): string | undefined {
  if (typeof value !== 'string' || value.length === 0) return undefined;
  if (/^0x[0-9a-fA-F]{40}$/.test(value)) return `41${value.slice(2).toLowerCase()}`;
  const lower = value.toLowerCase();
  if (isHexAddress(lower)) return lower;
  if (/^T[1-9A-HJ-NP-Za-km-z]{33}$/.test(value) && TronWeb.isAddress(value)) {
    return TronWeb.address.toHex(value).toLowerCase();
  }
  return undefined;
}

export function hexToBase58(hex: string): string {
  return TronWeb.address.fromHex(hex);
}

export function addressFromPrivateKey(privateKey: string): string {
  const base58 = TronWeb.address.fromPrivateKey(privateKey.replace(/^0x/, ''));
  if (!base58) throw new Error('invalid private key');
  return TronWeb.address.toHex(base58).toLowerCase();
}

export interface DevnetKey {
  /** 64 hex chars, no 0x. */
  privateKey: string;
  /** base58 `T…`. */
  address: string;
  /** 41-prefixed hex. */
  addressHex: string;
}

function key(label: string): DevnetKey {
  const privateKey = seededKey(label);
  const addressHex = addressFromPrivateKey(privateKey);
  return { privateKey, address: hexToBase58(addressHex), addressHex };
}

/** The funded account: lots of TRX, USDT and fake USDT. Its key is public on purpose (devnet only). */
export const FAUCET: DevnetKey = key('faucet');
/** Block producers: blocks are signed by WITNESS, replacement blocks of a reorg by WITNESS_B. */
export const WITNESS: DevnetKey = key('witness/a');
export const WITNESS_B: DevnetKey = key('witness/b');

/** Seeded accounts for tronweb's own tests, which expect tron-quickstart's generated accounts. */
export function quickstartKeys(count: number): DevnetKey[] {
  return Array.from({ length: count }, (_, i) => key(`quickstart/${i}`));
}

export interface DevnetContract {
  address: string;
  addressHex: string;
}

function contract(label: string): DevnetContract {
  const addressHex = seededContractAddress(label, FAUCET.addressHex);
  return { address: hexToBase58(addressHex), addressHex };
}

/** The USDT-like TRC20 token (6 decimals) the devnet runs. */
export const USDT_CONTRACT: DevnetContract = contract('usdt');
/** A second TRC20 with the same name, symbol and decimals: its Transfer logs must be ignored. */
export const FAKE_USDT_CONTRACT: DevnetContract = contract('fake-usdt');
/** A Disperse-like contract that moves tokens with transferFrom, so Transfer logs come from an inner call. */
export const DISPERSE_CONTRACT: DevnetContract = contract('disperse');

export const FAUCET_TRX_SUN = 1_000_000_000n * 1_000_000n; // 1e9 TRX
export const FAUCET_TOKEN_UNITS = 1_000_000_000_000n * 1_000_000n; // 1e12 tokens of 6 decimals
