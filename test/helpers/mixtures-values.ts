import fc from 'fast-check';

// Values for the mixed-input properties (test/integration/mixtures-*.test.ts): transfers as exact JSON text,
// valid ones and ones spoiled in one place so that every door must refuse them.

/** A valid transfer's input text; `cents` in minor units. */
export const transferText = (from: string, to: string, cents: number) =>
  `{"fromUserId":"${from}","toUserId":"${to}","amount":"${(cents / 100).toFixed(2)}"}`;

/** A field value each door must refuse, as JSON text. */
export const badAmount = fc.constantFrom(
  '0',
  '-1',
  '"-0.50"',
  '-0',
  '0.001',
  '"0.001"',
  '1e400',
  '"NaN"',
  '"Infinity"',
  'true',
  'null',
  '[]',
  '{}',
  '[1]',
  '"1,00"',
  '"１"',
  '1000000000.01',
  '"99999999999999999999999"',
  '"0x10"',
  '""',
  '"1\\u0000"',
  '{"value":"1"}',
);
export const badUser = fc.constantFrom(
  '""',
  '"x\\u0000y"',
  `"${'u'.repeat(65)}"`,
  '"é"',
  '"a b"',
  'null',
  '[]',
  '{}',
  '["mx_a"]',
  '"\\ud800"',
  '"mx_a\\n"',
  'true',
);
export const badMetadata = fc.constantFrom(
  '[1]',
  '"s"',
  '5',
  '{"a":{"b":1}}',
  '{"a":[1]}',
  `{${Array.from({ length: 21 }, (_, i) => `"k${i}":1`).join(',')}}`,
  '{"order":12345678901234567}',
  `{"big":"${'x'.repeat(5000)}"}`,
  '{"n":1e400}',
  '{"x\\u0000":1}',
  `{"a":${'{"a":'.repeat(40)}1${'}'.repeat(40)}}`,
);
export const badDescription = fc.constantFrom(
  `"${'d'.repeat(501)}"`,
  '"\\u0000"',
  '{}',
  '[]',
  '"\\udc00"',
  '12',
);

type Spoil = [field: string, json: string];
const spoilOf =
  (field: string) =>
  (json: string): Spoil => [field, json];

/** A valid transfer between users of `pool` spoiled in one field (or with one extra or missing field). */
export function badTransfer(pool: string[]): fc.Arbitrary<string> {
  return fc
    .record({
      from: fc.constantFrom(...pool),
      to: fc.constantFrom(...pool),
      cents: fc.integer({ min: 1, max: 5000 }),
      spoil: fc.oneof(
        badAmount.map(spoilOf('amount')),
        badUser.map(spoilOf('fromUserId')),
        badUser.map(spoilOf('toUserId')),
        badMetadata.map(spoilOf('metadata')),
        badDescription.map(spoilOf('description')),
        fc.constantFrom<Spoil>(['amout', '1'], ['__proto__', '{"amount":"1"}']),
        fc.constantFrom<Spoil>(['-fromUserId', ''], ['-amount', '']),
        fc.constant<Spoil>(['toUserId', '"SAME"']),
      ),
    })
    .map(({ from, to, cents, spoil: [field, value] }) => {
      const obj = new Map<string, string>(
        Object.entries(JSON.parse(transferText(from, to, cents))).map(([k, v]) => [k, JSON.stringify(v)]),
      );
      if (field.startsWith('-')) obj.delete(field.slice(1));
      else obj.set(field, value === '"SAME"' ? JSON.stringify(from) : value);
      // Payer and payee the same is refused too (same_user).
      if ((value === '"SAME"' || from === to) && obj.has('fromUserId'))
        obj.set('toUserId', obj.get('fromUserId')!);
      return `{${[...obj].map(([k, v]) => `${JSON.stringify(k)}:${v}`).join(',')}}`;
    });
}
