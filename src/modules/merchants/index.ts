// The merchants module's public surface: what the rest of the system may import from it.
export { ApiKeySchema, MerchantSchema } from './entities.js';
export { RevocationNotices } from './notices.js';
export { TokenRevocations } from './revocations.js';
export { MerchantsService, type ResolvedKey } from './service.js';
export type { MerchantSettings, MerchantSettingsOverrides } from './settings.js';
export {
  MAX_SESSION_TTL_SECONDS,
  MAX_TOKEN_PARENTS,
  SESSION_SCOPES,
  type SessionScope,
  type TokenClaims,
  TokenService,
} from './tokens.js';
