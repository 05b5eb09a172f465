import { familyOf } from '../../chains/families.js';
import type { Pool } from '../../db/database.js';
import { ValidationError } from '../../lib/errors.js';

// "Where is this customer's money?": one box that takes any id a customer might quote — a deposit (dep_…),
// withdrawal (pay_…), ledger transaction (tx_…), event (evt_…), webhook endpoint (whe_…) or merchant (mer_…)
// id, a transaction hash (the deposit's payment, a payout, an unexpected payment) or an address (a deposit
// address, a withdrawal's wallet, where an unexpected payment went) — and names what it found, across every
// merchant. Each kind is read by an indexed equality, so a search costs a handful of index probes.

export type SearchKind =
  | 'deposit'
  | 'withdrawal'
  | 'transaction'
  | 'event'
  | 'webhook_endpoint'
  | 'merchant'
  | 'unexpected_fund';

export interface SearchHit {
  kind: SearchKind;
  /** The object's id: `dep_…`, `pay_…`, `tx_…` … (an unexpected payment's number). */
  id: string;
  merchantId: string | null;
  mode: string | null;
  /** What matched: id, tx_hash, address, wallet. */
  matched: string;
  summary: string;
  createdAt: Date;
}

const MAX_QUERY = 200;
const LIMIT = 50;

const BY_ID: Record<string, { kind: SearchKind; sql: string }> = {
  dep: {
    kind: 'deposit',
    sql: `select id, merchant_id, mode, 'id' as matched, status || ' · ' || network || ' · user ' || user_id as summary, created_at from deposits where id = $1`,
  },
  pay: {
    kind: 'withdrawal',
    sql: `select id, merchant_id, mode, 'id' as matched, status || ' · ' || network || ' · user ' || user_id as summary, created_at from withdrawals where id = $1`,
  },
  tx: {
    kind: 'transaction',
    sql: `select t.id, a.merchant_id, a.mode, 'id' as matched, t.type || ' · ' || coalesce(t.description, '') as summary, t.created_at
          from ledger_transactions t join accounts a on a.id = t.from_account_id where t.id = $1`,
  },
  evt: {
    kind: 'event',
    sql: `select id, merchant_id, mode, 'id' as matched, type as summary, created_at from events where id = $1`,
  },
  whe: {
    kind: 'webhook_endpoint',
    sql: `select id, merchant_id, mode, 'id' as matched, status || ' · ' || url as summary, created_at from webhook_endpoints where id = $1`,
  },
  mer: {
    kind: 'merchant',
    sql: `select id, id as merchant_id, null as mode, 'id' as matched, name as summary, created_at from merchants where id = $1`,
  },
};

/** Hashes and addresses: each source with the kind it names. `$1` is every spelling the text may be stored under (valueForms). */
const BY_VALUE: { kind: SearchKind; sql: string }[] = [
  {
    kind: 'deposit',
    sql: `select d.id, d.merchant_id, d.mode, 'tx_hash' as matched, 'payment ' || t.status || ' · ' || d.network as summary, t.created_at
          from chain_transfers t join deposits d on d.id = t.deposit_id where t.tx_hash = any($1::text[])`,
  },
  {
    kind: 'deposit',
    sql: `select id, merchant_id, mode, 'address' as matched, status || ' · ' || network || ' · user ' || user_id as summary, created_at
          from deposits where address = any($1::text[])`,
  },
  {
    kind: 'withdrawal',
    sql: `select w.id, w.merchant_id, w.mode, 'tx_hash' as matched, 'payout ' || p.status || ' · ' || w.network as summary, p.created_at
          from payout_transactions p join withdrawals w on w.id = p.withdrawal_id where p.tx_hash = any($1::text[])`,
  },
  {
    kind: 'withdrawal',
    sql: `select id, merchant_id, mode, 'wallet' as matched, status || ' · ' || network || ' · user ' || user_id as summary, created_at
          from withdrawals where wallet_address = any($1::text[]) order by created_at desc limit ${LIMIT}`,
  },
  {
    kind: 'unexpected_fund',
    sql: `select u.id::text, d.merchant_id, d.mode, case when u.tx_hash = any($1::text[]) then 'tx_hash' else 'address' end as matched,
                 u.asset || ' ' || u.amount_minor::text || ' on ' || u.chain as summary, u.created_at
          from unexpected_funds u left join deposits d on d.id = u.deposit_id
          where u.tx_hash = any($1::text[]) or u.address = any($1::text[])`,
  },
];

interface Row {
  id: string;
  merchant_id: string | null;
  mode: string | null;
  matched: string;
  summary: string;
  created_at: Date;
}

/**
 * The spellings a hash or an address may be stored under: as typed and in lower case, and an EVM address also
 * checksummed (EIP-55), as deposit addresses and payout wallets are stored, however the customer quoted it.
 */
function valueForms(q: string): string[] {
  const forms = new Set([q, q.toLowerCase()]);
  // A 64-hex transaction hash is stored as its chain writes it: EVM with 0x, TRON without (both lower case).
  // Customers quote either with or without the prefix (explorers differ), so both are looked up.
  const hash = /^(?:0x)?([0-9a-f]{64})$/i.exec(q);
  if (hash) {
    const hex = hash[1]!.toLowerCase();
    forms.add(hex).add(`0x${hex}`);
  }
  const evm = familyOf('evm');
  const parsed = evm.parsePayoutAddress(q.toLowerCase());
  if (parsed.ok) for (const f of evm.storedAddressForms(parsed.address)) forms.add(f);
  return [...forms];
}

export async function search(pool: Pool, raw: string): Promise<SearchHit[]> {
  const q = raw.trim();
  if (!q) throw new ValidationError('Type an id, a transaction hash or an address', 'query');
  if (q.length > MAX_QUERY)
    throw new ValidationError(`query is longer than ${MAX_QUERY} characters`, 'query');
  const prefixed = /^([a-z]{2,3})_[0-9a-z]{26}$/.exec(q);
  const byId = prefixed ? BY_ID[prefixed[1]!] : undefined;
  const sources = byId ? [byId] : BY_VALUE;
  const params = byId ? [q] : [valueForms(q)];
  const results = await Promise.all(
    sources.map(async (s) => (await pool.query<Row>(s.sql, params)).rows.map((r) => hit(s.kind, r))),
  );
  const seen = new Set<string>();
  return results
    .flat()
    .filter((h) => {
      const key = `${h.kind}:${h.id}:${h.matched}`;
      if (seen.has(key)) return false;
      seen.add(key);
      return true;
    })
    .sort((a, b) => b.createdAt.getTime() - a.createdAt.getTime())
    .slice(0, LIMIT);
}

function hit(kind: SearchKind, r: Row): SearchHit {
  return {
    kind,
    id: r.id,
    merchantId: r.merchant_id,
    mode: r.mode,
    matched: r.matched,
    summary: r.summary,
    createdAt: r.created_at,
  };
}
