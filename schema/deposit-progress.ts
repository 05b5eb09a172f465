import type { DepositView } from '../src/modules/deposits/index.js';
import { builder } from './builder.js';
import { enumValues } from './enums.js';

// How far a deposit's payment has come: what a Deposit and a live DepositUpdate both show.

export const DepositStatusEnum = builder.enumType('DepositStatus', {
  description: 'Where a deposit stands.',
  values: enumValues<DepositView['status']>({
    pending: 'Waiting for a payment to the address.',
    confirming: 'A payment is on chain and gathering confirmations.',
    confirmed: "Credited: the Stars are on the user's balance.",
    expired: 'Nothing arrived in time (a late payment is still credited, with the LATE flag).',
  }),
});

type DepositFlag = 'late' | 'underpaid' | 'overpaid' | 'multiple';

export const DepositFlagEnum = builder.enumType('DepositFlag', {
  description:
    'Something unusual about how a deposit was paid; it is credited for what arrived all the same.',
  values: enumValues<DepositFlag>({
    late: 'Paid after expiresAt.',
    underpaid: 'Less arrived than the amount asked.',
    overpaid: 'More arrived than the amount asked.',
    multiple: 'Paid in more than one transaction.',
  }),
});

export type Types = typeof builder extends PothosSchemaTypes.SchemaBuilder<infer T> ? T : never;

/** What a deposit and a live DepositUpdate both carry: how far its payment has come. */
export interface DepositProgress {
  status: DepositView['status'];
  confirmations: number;
  requiredConfirmations: number;
  amountReceived: string;
  /** Absent from messages and stored answers written before it existed. */
  amountConfirming?: string;
  txHash: string | null;
  confirmingTxHash?: string | null;
  flags: string[];
  failureReason: string | null;
}

export function progressFields<P extends DepositProgress>(t: PothosSchemaTypes.ObjectFieldBuilder<Types, P>) {
  return {
    status: t.field({
      type: DepositStatusEnum,
      description: 'Where it stands.',
      resolve: (d: P) => d.status,
    }),
    confirmations: t.int({
      description:
        'Confirmations of the oldest payment not credited yet (the next to be credited); once all are credited, the count when the last was.',
      resolve: (d: P) => d.confirmations,
    }),
    requiredConfirmations: t.int({
      description: 'Confirmations needed before it is credited.',
      resolve: (d: P) => d.requiredConfirmations,
    }),
    amountReceived: t.field({
      type: 'Decimal',
      description:
        'Everything credited so far, in the token: final, safe to act on. Payments still confirming are in `amountConfirming`.',
      resolve: (d: P) => d.amountReceived,
    }),
    amountConfirming: t.field({
      type: 'Decimal',
      description:
        'Payments seen on chain and not credited yet (gathering confirmations), in the token; "0" when none. Not final: it drops a payment that a reorg removes, and moves to `amountReceived` when credited.',
      resolve: (d: P) => d.amountConfirming ?? '0',
    }),
    txHash: t.string({
      nullable: true,
      description: "The latest credited payment's transaction; null until one is credited.",
      resolve: (d: P) => d.txHash,
    }),
    confirmingTxHash: t.string({
      nullable: true,
      description:
        'The latest payment seen on chain and not credited yet (for an explorer link while it confirms); null when none.',
      resolve: (d: P) => d.confirmingTxHash ?? null,
    }),
    flags: t.field({
      type: [DepositFlagEnum],
      description: 'Anything unusual; usually empty.',
      resolve: (d: P) => d.flags as DepositFlag[],
    }),
    failureReason: t.string({
      nullable: true,
      description: 'Why it failed, if it did.',
      resolve: (d: P) => d.failureReason,
    }),
  };
}
