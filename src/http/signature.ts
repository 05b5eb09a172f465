import type { FastifyRequest } from 'fastify';
import { hmacSha256Hex, safeEqualHex } from '../lib/crypto.js';
import { AppError } from '../lib/errors.js';
import type { ResolvedKey } from '../modules/merchants/index.js';
import type { ReplayCache } from './replay-cache.js';

/** How far behind this host's clock another API host's may be without reopening a replay window. */
const CLOCK_SKEW_MARGIN_SECONDS = 60;

// Request signatures. Version 1 is the legacy page's: HMAC-SHA256(secret, raw body), the empty string for a
// GET, "<X-Timestamp>.<raw body>" when a timestamp is sent. It signs neither the method nor the path, so one
// captured GET signature reads any path, and a timestamped POST can be sent again for the whole window.
// Version 2 (opt-in with `X-Signature-Version: 2`, mandatory for a key set to it) signs
// "<timestamp>\n<METHOD>\n<path?query>\n<raw body>", needs X-Timestamp, and each signature is accepted once
// (ReplayCache).

const SIGNATURE_SHAPE = /^[0-9a-fA-F]{64}$/;
const TIMESTAMP_SHAPE = /^\d{1,12}$/;
/** connection_init's optional nonce (version 2): what tells apart two sockets of one key opened in one second. */
const NONCE_SHAPE = /^[A-Za-z0-9_-]{1,64}$/;

export type SignatureVersion = 1 | 2;

/** The text a version-2 signature covers. */
export function v2SignedText(timestamp: string, method: string, target: string, body: Buffer): Buffer {
  return Buffer.concat([Buffer.from(`${timestamp}\n${method.toUpperCase()}\n${target}\n`), body]);
}

/**
 * Why a signature did not verify, in the words of what it had to sign. A request without a body (every GET)
 * signs the empty string: a client that signs `{}` or `null` for it is told so.
 */
function mismatch(version: SignatureVersion, timestamped: boolean, bodyless: boolean): string {
  if (version === 2)
    return 'The signature does not match "<timestamp>\\n<METHOD>\\n<path?query>\\n<body>" (signature version 2)';
  if (!bodyless) return 'The signature does not match the request body';
  return timestamped
    ? 'The signature does not match the request body: a GET (a request without a body) signs "<timestamp>." followed by the empty string'
    : 'The signature does not match the request body: a GET (a request without a body) signs the empty string';
}

function header(req: FastifyRequest, name: string): string | undefined {
  const v = req.headers[name];
  return Array.isArray(v) ? v[0] : v;
}

export class SignatureVerifier {
  constructor(
    private readonly replay: ReplayCache,
    private readonly toleranceSeconds: number,
  ) {}

  /** Throws invalid_signature / timestamp_out_of_range unless `req` is signed with the key's secret. */
  async verifyRequest(req: FastifyRequest, key: ResolvedKey): Promise<void> {
    const signature = header(req, 'x-signature');
    if (!signature) throw new AppError('invalid_signature', 'The X-Signature header is required');
    if (!SIGNATURE_SHAPE.test(signature)) {
      throw new AppError('invalid_signature', 'X-Signature must be the hex HMAC-SHA256 of the request body');
    }
    const version = this.version(header(req, 'x-signature-version'), key);
    const raw = req.rawBody ?? Buffer.alloc(0);
    const timestamp = header(req, 'x-timestamp');
    if (timestamp === undefined && (version === 2 || key.requireTimestamp)) {
      throw new AppError(
        'timestamp_out_of_range',
        version === 2
          ? 'Signature version 2 needs an X-Timestamp header'
          : 'This API key requires an X-Timestamp header',
      );
    }
    if (timestamp !== undefined) this.checkTimestamp(timestamp, 'X-Timestamp');
    let signed: Buffer = raw;
    if (version === 2) signed = v2SignedText(timestamp!, req.method, req.raw.url ?? req.url, raw);
    else if (timestamp !== undefined) signed = Buffer.concat([Buffer.from(`${timestamp}.`), raw]);
    if (!safeEqualHex(hmacSha256Hex(key.secret, signed), signature.toLowerCase())) {
      throw new AppError('invalid_signature', mismatch(version, timestamp !== undefined, raw.length === 0));
    }
    if (version === 2) await this.once(key.keyId, signature, timestamp!);
  }

  /**
   * connection_init's `{apiKey, timestamp, signature, signatureVersion?, nonce?}`: version 1 signs the
   * timestamp; version 2 signs the upgrade request as a GET of /graphql whose body is the nonce (none without
   * one), and is accepted once. Without a nonce, a key's sockets opened in the same second carry the same
   * signature, so only the first of them opens.
   */
  async verifyConnection(
    key: ResolvedKey,
    timestamp: string,
    signature: string,
    requested: string | undefined,
    nonce?: string,
  ): Promise<void> {
    const version = this.version(requested, key);
    this.checkTimestamp(timestamp, 'timestamp');
    if (nonce !== undefined && (version !== 2 || !NONCE_SHAPE.test(nonce))) {
      throw new AppError(
        'invalid_signature',
        'nonce must be 1 to 64 letters, digits, "-" or "_" (signature version 2)',
      );
    }
    const signed =
      version === 2
        ? v2SignedText(timestamp, 'GET', '/graphql', Buffer.from(nonce ?? ''))
        : Buffer.from(timestamp);
    if (
      !SIGNATURE_SHAPE.test(signature) ||
      !safeEqualHex(hmacSha256Hex(key.secret, signed), signature.toLowerCase())
    ) {
      throw new AppError('invalid_signature', 'The signature does not match the timestamp');
    }
    if (version === 2) await this.once(key.keyId, signature, timestamp);
  }

  private version(requested: string | undefined, key: ResolvedKey): SignatureVersion {
    if (requested !== undefined && requested !== '1' && requested !== '2') {
      throw new AppError('invalid_signature', 'The signature version must be 1 or 2');
    }
    if (key.signatureVersion === 2 && requested === '1') {
      throw new AppError('invalid_signature', 'This API key requires signature version 2');
    }
    return key.signatureVersion === 2 || requested === '2' ? 2 : 1;
  }

  private checkTimestamp(timestamp: string, name: string): void {
    const ts = TIMESTAMP_SHAPE.test(timestamp) ? Number(timestamp) : Number.NaN;
    if (!(Math.abs(Date.now() / 1000 - ts) <= this.toleranceSeconds)) {
      throw new AppError(
        'timestamp_out_of_range',
        `${name} must be unix seconds within ${this.toleranceSeconds} s of the server clock`,
      );
    }
  }

  /** A version-2 signature is remembered until its timestamp leaves the window. */
  private async once(keyId: string, signature: string, timestamp: string): Promise<void> {
    // Kept a minute past the timestamp's window on this host's clock: another API host whose clock is behind
    // this one's still accepts the timestamp for that long (review: with a second of margin, a host more than
    // a second behind accepted a replay once the purge had run).
    const ttlSeconds =
      Number(timestamp) + this.toleranceSeconds - Date.now() / 1000 + CLOCK_SKEW_MARGIN_SECONDS;
    if (!(await this.replay.firstUse(`${keyId}:${signature.toLowerCase()}`, ttlSeconds))) {
      throw new AppError(
        'invalid_signature',
        'This signature was already used; sign every request with a new timestamp (signature version 2)',
      );
    }
  }
}
