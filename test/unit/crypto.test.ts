import { randomBytes } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { decrypt, encrypt, hmacSha256Hex, safeEqualHex } from '../../src/lib/crypto.js';

describe('crypto', () => {
  it('encrypts secrets with AES-256-GCM bound to their row', () => {
    const key = randomBytes(32);
    const blob = encrypt(key, 'the secret', 'api_key:key_1');
    expect(blob.toString('utf8')).not.toContain('the secret');
    expect(decrypt(key, blob, 'api_key:key_1')).toBe('the secret');
    expect(() => decrypt(key, blob, 'api_key:key_2')).toThrow();
    expect(() => decrypt(randomBytes(32), blob, 'api_key:key_1')).toThrow();
    const tampered = Buffer.from(blob);
    tampered[tampered.length - 1]! ^= 1;
    expect(() => decrypt(key, tampered, 'api_key:key_1')).toThrow();
  });

  it('computes HMAC-SHA256 as API.md specifies and compares without short-circuit', () => {
    // RFC 4231 test case 2.
    expect(hmacSha256Hex('Jefe', 'what do ya want for nothing?')).toBe(
      '5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843',
    );
    expect(safeEqualHex('abcd', 'abcd')).toBe(true);
    expect(safeEqualHex('abcd', 'abce')).toBe(false);
    expect(safeEqualHex('abcd', 'abc')).toBe(false);
  });
});
