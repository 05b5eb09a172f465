import { Counter, Gauge } from 'prom-client';
import type { LedgerPressure } from '../modules/ledger/index.js';
import type { DeliveryBudget } from '../modules/webhooks/index.js';
import type { OpsMetrics } from './metrics.js';

// Webhook delivery yielding to the money path, in /metrics (modules/ledger/pressure.ts,
// modules/webhooks/delivery/yielding.ts): the ledger's floor and whether its last window was pressured (every
// process with a ledger), and the pace of this worker's deliveries (--role worker|all).

export function registerLedgerPressureMetrics(metrics: OpsMetrics, pressure: LedgerPressure): void {
  const registers = [metrics.registry];
  const floor = new Gauge({
    name: 'novapay_ledger_batch_floor_seconds',
    help: "The ledger's floor: the lowest mean posting-batch duration of a busy window lately (it drifts up, doubling in a minute)",
    registers,
  });
  const pressured = new Gauge({
    name: 'novapay_ledger_pressured',
    help: "1 while this process's last busy window of posting batches took half again their floor (webhook delivery yields)",
    registers,
  });
  metrics.onScrape(async () => {
    floor.set((pressure.floorMs ?? 0) / 1000);
    pressured.set(pressure.lastSlowdown === null ? 0 : 1);
  });
}

export function registerDeliveryBudgetMetrics(metrics: OpsMetrics, budget: DeliveryBudget): void {
  const registers = [metrics.registry];
  const pace = new Gauge({
    name: 'novapay_webhook_delivery_pace',
    help: 'Deliveries per second this worker may start while it yields to a pressured ledger; 0 while unpaced',
    registers,
  });
  const ticks = new Counter<'pressured'>({
    name: 'novapay_webhook_delivery_yield_ticks_total',
    help: 'Reads of the ledger pressure by this worker (every 100 ms), by whether some ledger was pressured',
    labelNames: ['pressured'],
    registers,
  });
  let seen = { ticks: 0, pressured: 0 };
  metrics.onScrape(async () => {
    pace.set(budget.paced ? budget.rate : 0);
    const { ticks: t, pressured: p } = budget.stats;
    ticks.inc({ pressured: 'true' }, p - seen.pressured);
    ticks.inc({ pressured: 'false' }, t - p - (seen.ticks - seen.pressured));
    seen = { ticks: t, pressured: p };
  });
}
