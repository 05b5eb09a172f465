// The deposits module's public surface: what the rest of the system may import from it.
export { DepositCrediting } from './crediting.js';
export type { ChainScanner, RescanResult, ScanPass } from './scanner.js';
export type { ScannerHealth, ScannerHealthStatus } from './scanner-health.js';
export { type DepositScanners, openDepositScanners, openScanner } from './scanning.js';
export { DepositsService } from './service.js';
export type { DepositRow, DepositView } from './view.js';
