import type { Config } from './config.js';
import type { Logger } from './lib/logger.js';
import type { IdempotencyService } from './modules/idempotency/service.js';
import type { LedgerService } from './modules/ledger/service.js';
import type { Mode } from './modules/merchants/entities.js';
import type { MerchantsService } from './modules/merchants/service.js';
import type { TokenService } from './modules/merchants/tokens.js';

// Who is calling. Resolved once at the edge (HMAC key or bearer token) and carried in the context.
export type Principal =
  | { kind: 'anonymous' }
  | { kind: 'merchant'; merchantId: string; mode: Mode; keyId: string; scopes: string[] }
  | { kind: 'admin'; subject: string };

export interface Services {
  config: Config;
  log: Logger;
  merchants: MerchantsService;
  ledger: LedgerService;
  idempotency: IdempotencyService;
  tokens: TokenService;
}

export interface Context {
  principal: Principal;
  services: Services;
  requestId: string;
}

/** The merchant and mode a merchant-scoped field works on; scope-auth guarantees the principal kind. */
export function tenantOf(ctx: Context): { merchantId: string; mode: Mode } {
  const p = ctx.principal;
  if (p.kind !== 'merchant') throw new Error('tenantOf called without a merchant principal');
  return { merchantId: p.merchantId, mode: p.mode };
}
