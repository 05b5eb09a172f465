// The admin module's public surface: what the rest of the system may import from it.
export { type AuditRow, recordAudit } from './audit.js';
export type { DepositPayment, LedgerTransactionView } from './reads.js';
export type { SearchHit, SearchKind } from './search.js';
export { AdminService } from './service.js';
export type { Resolution, ResolutionAction, UnexpectedFund } from './unexpected.js';
