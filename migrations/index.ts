import type { MigrationObject } from '@mikro-orm/core';
import { Migration20261126000000_spine } from './Migration20261126000000_spine.js';
import { Migration20261126010000_events } from './Migration20261126010000_events.js';
import { Migration20261126020000_deposits } from './Migration20261126020000_deposits.js';
import { Migration20261126030000_withdrawals } from './Migration20261126030000_withdrawals.js';
import { Migration20261126040000_payouts } from './Migration20261126040000_payouts.js';
import { Migration20261126050000_payout_follow } from './Migration20261126050000_payout_follow.js';
import { Migration20261204000000_doors } from './Migration20261204000000_doors.js';
import { Migration20261205000000_trusted_documents } from './Migration20261205000000_trusted_documents.js';
import { Migration20261205000000_webhook_dispatch } from './Migration20261205000000_webhook_dispatch.js';
import { Migration20261205100000_admin_ops } from './Migration20261205100000_admin_ops.js';
import { Migration20261205100000_webhook_body_signature } from './Migration20261205100000_webhook_body_signature.js';
import { Migration20261206000000_house_books } from './Migration20261206000000_house_books.js';
import { Migration20261206100000_sweeps } from './Migration20261206100000_sweeps.js';
import { Migration20261206200000_treasury_expiry } from './Migration20261206200000_treasury_expiry.js';
import { Migration20261206300000_treasury_reconciliation } from './Migration20261206300000_treasury_reconciliation.js';
import { Migration20261206400000_treasury_controls } from './Migration20261206400000_treasury_controls.js';
import { Migration20261206500000_sweep_requests } from './Migration20261206500000_sweep_requests.js';
import { Migration20261207000000_tron_delegation } from './Migration20261207000000_tron_delegation.js';
import { Migration20261207100000_signature_uses } from './Migration20261207100000_signature_uses.js';
import { Migration20261207200000_idempotency_answer_format } from './Migration20261207200000_idempotency_answer_format.js';
import { Migration20261207300000_deposit_confirming } from './Migration20261207300000_deposit_confirming.js';
import { Migration20261208100000_events_commit_order } from './Migration20261208100000_events_commit_order.js';

// Listed explicitly so the migrator never imports .ts files by path (vitest and tsx both load them
// through their own pipelines this way). A test checks this list against the folder.
export const migrationsList: MigrationObject[] = [
  { name: 'Migration20261126000000_spine', class: Migration20261126000000_spine },
  { name: 'Migration20261126010000_events', class: Migration20261126010000_events },
  { name: 'Migration20261126020000_deposits', class: Migration20261126020000_deposits },
  { name: 'Migration20261126030000_withdrawals', class: Migration20261126030000_withdrawals },
  { name: 'Migration20261126040000_payouts', class: Migration20261126040000_payouts },
  { name: 'Migration20261126050000_payout_follow', class: Migration20261126050000_payout_follow },
  { name: 'Migration20261204000000_doors', class: Migration20261204000000_doors },
  {
    name: 'Migration20261205000000_trusted_documents',
    class: Migration20261205000000_trusted_documents,
  },
  { name: 'Migration20261205000000_webhook_dispatch', class: Migration20261205000000_webhook_dispatch },
  { name: 'Migration20261205100000_admin_ops', class: Migration20261205100000_admin_ops },
  {
    name: 'Migration20261205100000_webhook_body_signature',
    class: Migration20261205100000_webhook_body_signature,
  },
  { name: 'Migration20261206000000_house_books', class: Migration20261206000000_house_books },
  { name: 'Migration20261206100000_sweeps', class: Migration20261206100000_sweeps },
  { name: 'Migration20261206200000_treasury_expiry', class: Migration20261206200000_treasury_expiry },
  {
    name: 'Migration20261206300000_treasury_reconciliation',
    class: Migration20261206300000_treasury_reconciliation,
  },
  {
    name: 'Migration20261206400000_treasury_controls',
    class: Migration20261206400000_treasury_controls,
  },
  { name: 'Migration20261206500000_sweep_requests', class: Migration20261206500000_sweep_requests },
  { name: 'Migration20261207000000_tron_delegation', class: Migration20261207000000_tron_delegation },
  { name: 'Migration20261207100000_signature_uses', class: Migration20261207100000_signature_uses },
  {
    name: 'Migration20261207200000_idempotency_answer_format',
    class: Migration20261207200000_idempotency_answer_format,
  },
  {
    name: 'Migration20261207300000_deposit_confirming',
    class: Migration20261207300000_deposit_confirming,
  },
  {
    name: 'Migration20261208100000_events_commit_order',
    class: Migration20261208100000_events_commit_order,
  },
];
