// The text of a credited payment's ledger row, in one place: the posting writes it (deposits/crediting.ts) and
// the live `transactionCreated` row rebuilds it from the deposit.confirmed event's own fields (live-messages.ts), so
// the live row and the user's history row agree without adding fields to the documented webhook body.

/** The description and metadata of the ledger row that credits one payment of a deposit. */
export function depositCreditText(depositId: string, txHash: string, network: string) {
  return { description: `Deposit ${depositId}`, metadata: { depositId, txHash, network } };
}
