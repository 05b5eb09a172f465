import type { Pool } from '../../db/database.js';
import type { DepositsService } from '../deposits/index.js';
import type { LedgerService } from '../ledger/index.js';
import type { WebhooksService } from '../webhooks/index.js';
import { type AuditRow, auditTrail } from './audit.js';
import { AdminReads } from './reads.js';
import { type SearchHit, search } from './search.js';
import { UnexpectedFunds } from './unexpected.js';
import { AdminWebhooks } from './webhooks.js';

// The ops console's services (issue 19), for admin tokens only: reads across merchants, the resolution of
// unexpected funds, webhook actions, search by any id, and the audit trail of every admin action.

export class AdminService {
  readonly reads: AdminReads;
  readonly unexpected: UnexpectedFunds;
  readonly webhooks: AdminWebhooks;

  constructor(
    private readonly pool: Pool,
    deps: {
      deposits: DepositsService;
      ledger: LedgerService;
      webhooks: WebhooksService;
      maxAmountMinor: bigint;
    },
  ) {
    this.reads = new AdminReads(pool, deps.deposits);
    this.unexpected = new UnexpectedFunds(pool, deps.ledger, deps.maxAmountMinor);
    this.webhooks = new AdminWebhooks(pool, deps.webhooks, this.reads);
  }

  search(query: string): Promise<SearchHit[]> {
    return search(this.pool, query);
  }

  audit(target: { type: string; id: string } | null, limit?: number): Promise<AuditRow[]> {
    return auditTrail(this.pool, target, limit);
  }
}
