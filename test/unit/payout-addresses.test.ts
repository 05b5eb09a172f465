import { randomBytes } from 'node:crypto';
import { getAddress } from 'ethers';
import fc from 'fast-check';
import { TronWeb } from 'tronweb';
import { describe, expect, it } from 'vitest';
import { parseEvmPayoutAddress } from '../../src/chains/evm/address.js';
import { parseTronPayoutAddress } from '../../src/chains/tron/address.js';

// Payout addresses are where money leaves for good: any spelling that is not exactly a valid address of the
// network is refused, and a valid one is answered in the one form payouts are sent to.
const bytes20 = fc.uint8Array({ minLength: 20, maxLength: 20 }).filter((b) => b.some((x) => x !== 0));
const hex = (b: Uint8Array) => Buffer.from(b).toString('hex');
const BASE58 = '123456789ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz';

describe('EVM payout addresses', () => {
  it('take the checksummed, lower-case and upper-case spellings, answered checksummed', () => {
    fc.assert(
      fc.property(bytes20, (b) => {
        const sum = getAddress(`0x${hex(b)}`);
        for (const spelling of [sum, `0x${hex(b)}`, `0x${hex(b).toUpperCase()}`])
          expect(parseEvmPayoutAddress(spelling)).toEqual({ ok: true, address: sum });
      }),
    );
  });

  it('refuse one letter of a checksummed address in the wrong case, and any other length or prefix', () => {
    fc.assert(
      fc.property(bytes20, fc.nat(), (b, pick) => {
        const sum = getAddress(`0x${hex(b)}`);
        const letters = [...sum.slice(2)].flatMap((c, i) => (/[a-fA-F]/.test(c) ? [i + 2] : []));
        fc.pre(letters.length > 1);
        const i = letters[pick % letters.length]!;
        const c = sum[i]!;
        const flipped =
          sum.slice(0, i) + (c === c.toLowerCase() ? c.toUpperCase() : c.toLowerCase()) + sum.slice(i + 1);
        // A flip that leaves every letter in one case spells the address in all lower or all upper case,
        // which is valid (found by this property: two letters, one of each case).
        const rest = flipped.slice(2).replace(/[^a-fA-F]/g, '');
        fc.pre(rest !== rest.toLowerCase() && rest !== rest.toUpperCase());
        expect(parseEvmPayoutAddress(flipped).ok).toBe(false);
        for (const bad of [
          sum.slice(0, -1),
          `${sum}0`,
          `0X${sum.slice(2)}`,
          sum.slice(2),
          ` ${sum}`,
          `${sum}\n`,
        ])
          expect(parseEvmPayoutAddress(bad).ok, bad).toBe(false);
      }),
    );
    expect(parseEvmPayoutAddress(`0x${'0'.repeat(40)}`).ok).toBe(false);
    // 40 hex digits without 0x: ethers takes them, and BigInt threw on those with a letter (a 500).
    expect(parseEvmPayoutAddress('50060003000003000000000f000672000200c10e').ok).toBe(false);
    expect(parseEvmPayoutAddress('5006000300000300000000000006720002001010').ok).toBe(false);
  });
});

describe('TRON payout addresses', () => {
  it('refuse any one character changed, and the zero address', () => {
    fc.assert(
      fc.property(fc.nat(), fc.nat(), (pos, with_) => {
        const address = TronWeb.address.fromPrivateKey(randomBytes(32).toString('hex')) as string;
        expect(parseTronPayoutAddress(address)).toEqual({ ok: true, address });
        const i = 1 + (pos % (address.length - 1));
        const c = BASE58[with_ % BASE58.length]!;
        fc.pre(c !== address[i]);
        const changed = address.slice(0, i) + c + address.slice(i + 1);
        expect(parseTronPayoutAddress(changed).ok, changed).toBe(false);
        for (const bad of [
          address.toLowerCase(),
          ` ${address}`,
          `${address}\n`,
          TronWeb.address.toHex(address),
        ])
          expect(parseTronPayoutAddress(bad).ok, bad).toBe(false);
      }),
      { numRuns: 50 },
    );
    expect(parseTronPayoutAddress('T9yD14Nj9j7xAB4dbGeiX9h8unkKHxuWwb').ok).toBe(false);
  });
});
