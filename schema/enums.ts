// Enum values are ALL_CAPS (GraphQL convention); the services keep their own spellings (`pending_approval`,
// `transfer.completed`), which are the enum values' internal values. The REST face prints the page's
// spellings (src/rest/v1/format.ts).

/** `pending_approval` → `PENDING_APPROVAL`, `deposit.confirmed` → `DEPOSIT_CONFIRMED`. */
export function enumName(value: string): string {
  return value.replace(/[^A-Za-z0-9]+/g, '_').toUpperCase();
}

/** Pothos enum values from internal values and their descriptions, named in ALL_CAPS. */
export function enumValues<const T extends string>(descriptions: Record<T, string>) {
  const out: Record<string, { value: T; description: string }> = {};
  for (const [value, description] of Object.entries(descriptions) as [T, string][]) {
    out[enumName(value)] = { value, description };
  }
  return out;
}
