import type { EntityManager, MikroORM } from '@mikro-orm/postgresql';
import { decrypt, sha256 } from '../../lib/crypto.js';
import { NotFoundError, ValidationError } from '../../lib/errors.js';
import { newId } from '../../lib/ids.js';
import { ApiKey, Merchant, type Mode } from './entities.js';
import {
  addKeyEntity,
  type CreatedKey,
  type KeyOptions,
  parseSignatureVersion,
  type ResolvedKey,
  resolveKeyRow,
  secretAad,
} from './keys.js';
import { RevocationNotices } from './notices.js';
import type { TokenRevocations } from './revocations.js';
import {
  type MerchantSettings,
  type MerchantSettingsOverrides,
  resolveSettings,
  settingsSchema,
} from './settings.js';
import { SingleFlightCache } from './single-flight-cache.js';
import { MAX_SESSION_TTL_SECONDS } from './tokens.js';

export { type CreatedKey, KEY_SCOPES, type KeyOptions, parseCidrs, type ResolvedKey } from './keys.js';

export class MerchantsService {
  /** API keys by the hex sha256 of the key, and settings by merchant id: single-flight-cache.ts. */
  private readonly keys = new SingleFlightCache<ResolvedKey | null>();
  private readonly settingsCache = new SingleFlightCache<MerchantSettings>();
  constructor(
    private readonly orm: MikroORM,
    private readonly masterKey: Buffer,
    private readonly defaultRateLimitPerSecond: number,
    /** Told when a key changes, so other instances and open sockets hear of it. */
    private readonly notices: RevocationNotices = new RevocationNotices(),
    /** Where a revoked key's id is recorded, so the browser tokens it minted are refused (tokens.ts). */
    private readonly tokenRevocations: TokenRevocations | null = null,
  ) {}

  async createMerchant(name: string, settings: MerchantSettingsOverrides = {}): Promise<Merchant> {
    const em = this.orm.em.fork();
    const merchant = this.addMerchant(em, name, settings);
    await em.flush();
    return merchant;
  }

  /**
   * A merchant and its first key, in one transaction: a refused key option (a bad CIDR) leaves no merchant
   * behind, so the corrected command does not make a second one of the same name.
   */
  async createMerchantWithKey(
    name: string,
    mode: Mode,
    opts: KeyOptions = {},
  ): Promise<{ merchant: Merchant; key: CreatedKey }> {
    return this.orm.em.fork().transactional(async (em) => {
      const merchant = this.addMerchant(em, name, {});
      await em.flush(); // the key names the merchant by id, not as a relation the flush would order
      const key = this.addKey(em, merchant.id, mode, opts);
      await em.flush();
      return { merchant, key };
    });
  }

  private addMerchant(em: EntityManager, name: string, settings: MerchantSettingsOverrides): Merchant {
    const trimmed = name.trim();
    if (!trimmed || trimmed.length > 200) throw new ValidationError('name must be 1-200 characters', 'name');
    settingsSchema.parse(settings);
    return em.create(Merchant, { id: newId('mer'), name: trimmed, settings, createdAt: new Date() });
  }

  async getMerchant(id: string): Promise<Merchant> {
    const merchant = await this.orm.em.fork().findOne(Merchant, { id });
    if (!merchant) throw new NotFoundError('Merchant', id);
    return merchant;
  }

  /**
   * Throws NotFoundError unless the merchant exists: answered from the settings cache (merchants are never
   * deleted), so a hot path such as `adjustBalance` does not load the merchant through the ORM each time.
   */
  async assertExists(id: string): Promise<void> {
    await this.settings(id);
  }

  async listMerchants(): Promise<Merchant[]> {
    return this.orm.em.fork().find(Merchant, {}, { orderBy: { createdAt: 'asc' } });
  }

  /**
   * Settings are read on hot paths (every deposit, every credit): cached as briefly as API keys, one lookup per
   * merchant at a time (single-flight-cache.ts).
   */
  async settings(merchantId: string): Promise<MerchantSettings> {
    return this.settingsCache.get(merchantId, async () =>
      resolveSettings((await this.getMerchant(merchantId)).settings),
    );
  }

  /**
   * Merges `overrides` into the merchant's stored overrides and returns the resolved settings. Cached keys
   * are dropped so this process applies the change at once; other processes do within CACHE_TTL_MS.
   */
  async updateSettings(merchantId: string, overrides: MerchantSettingsOverrides): Promise<MerchantSettings> {
    const em = this.orm.em.fork();
    const merchant = await em.findOne(Merchant, { id: merchantId });
    if (!merchant) throw new NotFoundError('Merchant', merchantId);
    const merged = { ...merchant.settings, ...overrides };
    const parsed = settingsSchema.safeParse(merged);
    if (!parsed.success) {
      const issue = parsed.error.issues[0]!;
      const path = issue.path.join('.');
      throw new ValidationError(`settings.${path}: ${issue.message}`, path || 'settings');
    }
    merchant.settings = merged;
    await em.flush();
    this.evictAll();
    return parsed.data;
  }

  async createKey(merchantId: string, mode: Mode, opts: KeyOptions = {}): Promise<CreatedKey> {
    await this.getMerchant(merchantId);
    const em = this.orm.em.fork();
    const created = this.addKey(em, merchantId, mode, opts);
    await em.flush();
    return created;
  }

  /** A new key of the merchant's, checked and persisted in `em` (written by the caller's flush). */
  private addKey(em: EntityManager, merchantId: string, mode: Mode, opts: KeyOptions): CreatedKey {
    return addKeyEntity(em, this.masterKey, merchantId, mode, {
      ...opts,
      rateLimitPerSecond: opts.rateLimitPerSecond ?? this.defaultRateLimitPerSecond,
    });
  }

  async listKeys(merchantId: string): Promise<ApiKey[]> {
    return this.orm.em.fork().find(ApiKey, { merchantId }, { orderBy: { createdAt: 'asc' } });
  }

  /**
   * Revokes a key, and the user sessions and stream tokens it minted (they name it: tokens.ts): its id goes on
   * the revoked tokens' list for as long as such a token lives, which refuses them everywhere and closes their
   * sockets. `keepTokens` (a routine rotation, as `rotateKey`) only retires the key. Revoking a key that was
   * rotated or retired before ends its tokens then (a rotated key that leaked). The key's revoked_at and the
   * list's row commit together: a failure leaves neither (an error over a half-revoked key, its tokens alive,
   * was the alternative).
   */
  async revokeKey(keyId: string, opts: { keepTokens?: boolean } = {}): Promise<ApiKey> {
    const revocations = opts.keepTokens ? null : this.tokenRevocations;
    const until = new Date(Date.now() + MAX_SESSION_TTL_SECONDS * 1000);
    const key = await this.orm.em.fork().transactional(async (em) => {
      const key = await this.retireKey(em, keyId);
      await revocations?.recordIn(this.statement(em), keyId, until, { reason: 'API key revoked' });
      return key;
    });
    this.keyRetired(key);
    await revocations?.announce(keyId, until);
    return key;
  }

  /**
   * Stops the key authenticating (revoked_at), in `em`'s transaction. The tokens it minted are left alone:
   * rotation retires a key this way, and overlays' stream tokens live on until they expire.
   */
  private async retireKey(em: EntityManager, keyId: string): Promise<ApiKey> {
    const key = await em.findOne(ApiKey, { id: keyId });
    if (!key) throw new NotFoundError('API key', keyId);
    key.revokedAt ??= new Date();
    await em.flush();
    return key;
  }

  /** Once a key's retirement committed: out of the caches, its sockets told (this process and the others). */
  private keyRetired(key: ApiKey): void {
    const hashHex = key.keyHash.toString('hex');
    this.evict(hashHex);
    this.notices.keyRevoked(hashHex, key.id);
  }

  /** Runs one statement (parameters as `?`) in `em`'s transaction. */
  private statement(em: EntityManager) {
    return (sql: string, params: unknown[]) =>
      em.getConnection().execute(sql, params, 'run', em.getTransactionContext());
  }

  /**
   * Changes a key's signature version or trusted-documents rule. This process applies it at once; other
   * processes when their cached copy expires (CACHE_TTL_MS).
   */
  async updateKeySettings(
    keyId: string,
    opts: { signatureVersion?: number; trustedDocumentsOnly?: boolean },
  ): Promise<ApiKey> {
    const em = this.orm.em.fork();
    const key = await em.findOne(ApiKey, { id: keyId });
    if (!key) throw new NotFoundError('API key', keyId);
    if (opts.signatureVersion !== undefined)
      key.signatureVersion = parseSignatureVersion(opts.signatureVersion);
    if (opts.trustedDocumentsOnly !== undefined) key.trustedDocumentsOnly = opts.trustedDocumentsOnly;
    await em.flush();
    this.evict(key.keyHash.toString('hex'));
    return key;
  }

  /**
   * Issues a new key with the same mode, allow-list, limit, scopes and signature rules; retires the old one (it
   * no longer authenticates) without ending the browser tokens it minted: rotation is routine, and would
   * otherwise close every overlay's stream token. `revokeKey` on the old key later ends them (it leaked). One
   * transaction: a failure leaves the old key as it was and no new one (whose secret nobody would have seen).
   */
  async rotateKey(keyId: string): Promise<CreatedKey> {
    const { created, old } = await this.orm.em.fork().transactional(async (em) => {
      const old = await em.findOne(ApiKey, { id: keyId });
      if (!old) throw new NotFoundError('API key', keyId);
      const created = this.addKey(em, old.merchantId, old.mode, {
        ipAllowlist: old.ipAllowlist,
        rateLimitPerSecond: old.rateLimitPerSecond,
        scopes: old.scopes,
        requireTimestamp: old.requireTimestamp,
        signatureVersion: old.signatureVersion,
        trustedDocumentsOnly: old.trustedDocumentsOnly,
      });
      await em.flush();
      // Webhook endpoints that sign their body with this key's secret follow it to the new key, locked in id
      // order, as a worker's failures write locks the endpoints it marks (webhooks/delivery/store-sql.ts): in
      // the table's order, each could hold an endpoint the other wanted.
      await this.statement(em)(
        `update webhook_endpoints set body_signing_key_id = ?, updated_at = now()
         where id in (select id from webhook_endpoints where body_signing_key_id = ? order by id for no key update)`,
        [created.keyId, keyId],
      );
      await this.retireKey(em, keyId);
      return { created, old };
    });
    this.keyRetired(old);
    return created;
  }

  /** Which of `keyIds` are revoked (or gone): the sockets opened with them must close (src/http/ws-revocation-sweep.ts). */
  async revokedKeyIds(keyIds: string[]): Promise<string[]> {
    if (keyIds.length === 0) return [];
    // One process's sockets can stand on tens of thousands of keys, asked every 2 s: they go as one array
    // parameter. MikroORM's `$in` wrote every id into the SQL text (its queries carry no parameters), which took
    // the process 0.8-1.2 s of its event loop for 70,000 ids where this takes 0.15 s of PostgreSQL's.
    const r = await this.orm.em
      .getConnection()
      .getKnex()
      .raw<{ rows: { id: string }[] }>(
        'select id from api_keys where id = any(?::text[]) and revoked_at is null',
        [keyIds],
      );
    const live = new Set(r.rows.map((row) => row.id));
    return keyIds.filter((id) => !live.has(id));
  }

  /** An API key's tenant, revocation and decrypted secret (for webhook bodies signed with it); null if unknown. */
  async keySecret(
    keyId: string,
  ): Promise<{ merchantId: string; mode: Mode; revoked: boolean; secret: string } | null> {
    const row = await this.orm.em.fork().findOne(ApiKey, { id: keyId });
    if (!row) return null;
    return {
      merchantId: row.merchantId,
      mode: row.mode,
      revoked: row.revokedAt !== null,
      secret: decrypt(this.masterKey, row.secretCiphertext, secretAad(row.id)),
    };
  }

  /** Looks an API key up for authentication (cached, one lookup at a time: single-flight-cache.ts); null when unknown or revoked. */
  async resolveKey(apiKey: string): Promise<ResolvedKey | null> {
    const hash = sha256(apiKey);
    return this.keys.get(hash.toString('hex'), () => this.lookUpKey(hash));
  }

  private async lookUpKey(hash: Buffer): Promise<ResolvedKey | null> {
    return resolveKeyRow(this.orm.em.fork(), this.masterKey, hash);
  }

  /** Drops a cached key (by the hex sha256 of the key), e.g. when another process revoked it; see single-flight-cache.ts. */
  evict(keyHashHex: string): void {
    this.keys.evict(keyHashHex);
  }

  evictAll(): void {
    this.keys.clear();
    this.settingsCache.clear();
  }
}
