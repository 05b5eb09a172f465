// The ledger module's public surface: what the rest of the system may import from it.
export type { BalanceRow, HistoryRow } from './history.js';
export type { HouseAsset, HouseBalance, HouseBooks, HouseCode, HousePosting } from './house.js';
export { type AdjustResult, LedgerService, type TransferResult } from './service.js';
export type {
  GroupAccepted,
  PostedTransaction,
  Posting,
  PostingGroup,
  PostingItem,
  TransactionClaims,
  TxType,
} from './types.js';
export { parseMetadata } from './validation.js';
