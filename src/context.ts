import type { Config } from './config.js';
import type { TrustedDocuments } from './http/trusted-documents.js';
import { ForbiddenError } from './lib/errors.js';
import type { Logger } from './lib/logger.js';
import type { Mode } from './lib/tenant.js';
import type { AdminService } from './modules/admin/index.js';
import type { DepositsService } from './modules/deposits/index.js';
import type { EventsReader, PubSub } from './modules/events/index.js';
import type { IdempotencyService } from './modules/idempotency/index.js';
import type { LedgerService } from './modules/ledger/index.js';
import type { MerchantsService, SessionScope, TokenService } from './modules/merchants/index.js';
import type { TopicSource } from './modules/realtime/index.js';
import type { TreasuryControls } from './modules/treasury/index.js';
import type { WebhooksService } from './modules/webhooks/index.js';
import type { WithdrawalsService } from './modules/withdrawals/index.js';
import type { Ops } from './ops/open.js';

// Who is calling. Resolved once at the edge (HMAC key or bearer token) and carried in the context.
// `tokenId` is a bearer token's jti (its sockets close when it is revoked).
export type Principal =
  | { kind: 'anonymous' }
  | {
      kind: 'merchant';
      merchantId: string;
      mode: Mode;
      keyId: string;
      scopes: string[];
      rateLimitPerSecond: number;
      /** The key runs only trusted documents over GraphQL (src/http/trusted-documents.ts). */
      trustedDocumentsOnly?: boolean;
    }
  /** `parentTokenIds`: the admin tokens a portal session was made from (revoking one ends it). */
  | { kind: 'admin'; subject: string; tokenId?: string; parentTokenIds?: string[] }
  | {
      kind: 'user';
      merchantId: string;
      mode: Mode;
      userId: string;
      scopes: SessionScope[];
      tokenId?: string;
      /** Minted by a key that runs only trusted documents: so does this session. */
      trustedDocumentsOnly?: boolean;
      /** The API key that minted it (revoking the key ends it, and closes its sockets). */
      mintedByKeyId?: string;
    }
  | {
      kind: 'stream';
      merchantId: string;
      mode: Mode;
      streamId: string;
      tokenId?: string;
      trustedDocumentsOnly?: boolean;
      mintedByKeyId?: string;
    }
  | { kind: 'deposit'; merchantId: string; mode: Mode; depositId: string; tokenId?: string };

export interface Services {
  config: Config;
  log: Logger;
  merchants: MerchantsService;
  ledger: LedgerService;
  idempotency: IdempotencyService;
  tokens: TokenService;
  events: EventsReader;
  webhooks: WebhooksService;
  pubsub: PubSub;
  /** Every live topic's messages (Redis pub/sub, and the ops topics of src/modules/realtime/ops-live.ts). */
  live: TopicSource;
  deposits: DepositsService;
  withdrawals: WithdrawalsService;
  /** The ops console's reads and actions across merchants (admin tokens only). */
  admin: AdminService;
  /** Ops' controls of sweeping (sweep now, pause, sweep one address): checks, audits and enqueues. */
  treasury: TreasuryControls;
  /** What ops look at (queues, metrics, the pool), for the admin `ops` field and /metrics (src/ops/open.ts). */
  ops: Ops;
  /** The GraphQL operations known in advance (the API's doors). */
  trustedDocuments: TrustedDocuments;
}

export interface Context {
  principal: Principal;
  services: Services;
  requestId: string;
  /**
   * The REST API's page/limit: the row offset its legacy `page` asks for. Only the REST routes set it (no
   * cursor carries an offset): GraphQL clients page by keyset cursors.
   */
  restOffset?: number;
}

/** The merchant and mode a tenant-scoped field works on; scope-auth guarantees the principal kind. */
export function tenantOf(ctx: Context): { merchantId: string; mode: Mode } {
  const p = ctx.principal;
  if (p.kind === 'anonymous' || p.kind === 'admin')
    throw new ForbiddenError('This field needs a merchant credential');
  return { merchantId: p.merchantId, mode: p.mode };
}

/** A merchant reads any of its users; a user session only itself (with the scope asked for). */
export function canReadUser(ctx: Context, userId: string, scope: SessionScope = 'read'): boolean {
  const p = ctx.principal;
  return p.kind === 'merchant' || (p.kind === 'user' && p.userId === userId && p.scopes.includes(scope));
}

/** A list's tenant: merchants see their own; admins every merchant's, or the merchant and mode a filter names. */
export function adminOrTenant(
  ctx: Context,
  filter: { merchantId?: string | null; mode?: Mode | null } | null | undefined,
): { merchantId: string | null; mode: Mode | null } {
  if (ctx.principal.kind !== 'admin') return tenantOf(ctx);
  return { merchantId: filter?.merchantId ?? null, mode: filter?.mode ?? null };
}
