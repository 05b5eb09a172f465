import { Gauge } from 'prom-client';
import type { ScannerHealth } from '../modules/deposits/index.js';
import type { OpsMetrics } from './metrics.js';

// Stalled chain scanners in /metrics, as the worker's last health check found them (src/modules/deposits/scanner-health.ts):
// 1 while a scanner's cursor has not moved for CHAIN_SCANNER_STALL_SECONDS although the chain head advanced.
// Only processes that run the scanners (--role worker|all) have these series.

export function registerScannerMetrics(metrics: OpsMetrics, health: ScannerHealth): void {
  const registers = [metrics.registry];
  const stalled = new Gauge({
    name: 'novapay_chain_scanner_stalled',
    help: "1 while the chain scanner's cursor has not moved for CHAIN_SCANNER_STALL_SECONDS though the chain head advanced",
    labelNames: ['chain', 'network', 'mode'],
    registers,
  });
  const cursorAge = new Gauge({
    name: 'novapay_chain_scanner_cursor_age_seconds',
    help: "Seconds since the chain scanner's cursor last moved (as this worker saw it)",
    labelNames: ['chain', 'network', 'mode'],
    registers,
  });
  metrics.onScrape(async () => {
    stalled.reset();
    cursorAge.reset();
    for (const s of health.status()) {
      const labels = { chain: s.chain, network: s.network, mode: s.mode };
      stalled.set(labels, s.stalled ? 1 : 0);
      cursorAge.set(labels, s.cursorAgeSeconds);
    }
  });
}
