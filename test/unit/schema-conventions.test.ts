import {
  type GraphQLField,
  type GraphQLInputField,
  type GraphQLNamedType,
  getNamedType,
  isEnumType,
  isInputObjectType,
  isInterfaceType,
  isObjectType,
} from 'graphql';
import { describe, expect, it } from 'vitest';
import { getSchema } from '../../schema/index.js';

// The conventions a frontend team relies on (docs/graphql.md): one scalar per concept, ALL_CAPS enum values,
// and `id` only on Nodes. Checked over the whole built schema, so a new field that breaks one fails here.

const schema = getSchema();
const own = (t: GraphQLNamedType) => !t.name.startsWith('__');
const types = Object.values(schema.getTypeMap()).filter(own);
const ROOTS = new Set(['Query', 'Mutation', 'Subscription']);

/** Live-event payloads keep the `id` of what they describe (a transaction, a deposit): not Nodes. */
const EVENT_PAYLOADS = new Set(['TransactionEvent', 'Donation', 'DepositUpdate']);

type AnyField = GraphQLField<unknown, unknown> | GraphQLInputField;

function everyField(): { where: string; name: string; type: string }[] {
  const out: { where: string; name: string; type: string }[] = [];
  const add = (owner: string, f: AnyField) =>
    out.push({ where: `${owner}.${f.name}`, name: f.name, type: getNamedType(f.type).name });
  for (const t of types) {
    if (ROOTS.has(t.name)) {
      for (const f of Object.values(
        (t as never as { getFields(): Record<string, GraphQLField<unknown, unknown>> }).getFields(),
      ))
        for (const a of f.args) add(`${t.name}.${f.name}(${a.name})`, a as unknown as GraphQLInputField);
    } else if (isObjectType(t) || isInterfaceType(t)) {
      for (const f of Object.values(t.getFields())) {
        add(t.name, f);
        for (const a of f.args) add(`${t.name}.${f.name}(${a.name})`, a as unknown as GraphQLInputField);
      }
    }
    if (isInputObjectType(t)) for (const f of Object.values(t.getFields())) add(t.name, f);
  }
  return out;
}

describe('schema conventions', () => {
  const fields = everyField();

  it('types every amount as Decimal', () => {
    const amounts = fields.filter((f) =>
      /^(amount|balance|fee|credited)|(Amount|Balance|Fee|Usdt|Before|After)$/.test(f.name),
    );
    expect(amounts.filter((f) => f.type !== 'Decimal')).toEqual([]);
    expect(amounts.length).toBeGreaterThan(25);
  });

  it('types every time as DateTime', () => {
    const times = fields.filter((f) => /At$|^(at|from|to)$/.test(f.name) && !/UserId$/.test(f.name));
    expect(times.filter((f) => f.type !== 'DateTime')).toEqual([]);
    expect(times.length).toBeGreaterThan(20);
  });

  it('types every identifier as ID', () => {
    const ids = fields.filter((f) => f.name === 'id' || f.name === 'ids' || /Id$/.test(f.name));
    // An EVM chain id is a number by EIP-155 (wallet links print it as one), not an id of this API.
    const numbers = new Set(['Deposit.chainId']);
    expect(ids.filter((f) => f.type !== 'ID' && !numbers.has(f.where))).toEqual([]);
    expect(ids.length).toBeGreaterThan(40);
  });

  it('spells every enum value in ALL_CAPS', () => {
    const values = types.filter(isEnumType).flatMap((e) => e.getValues().map((v) => `${e.name}.${v.name}`));
    expect(values.filter((v) => !/\.[A-Z][A-Z0-9_]*$/.test(v))).toEqual([]);
  });

  it('gives `id` only to Nodes, so every id is unique across the API (Relay)', () => {
    const node = schema.getType('Node');
    expect(node && isInterfaceType(node)).toBe(true);
    const withId = types.filter((t) => isObjectType(t) && 'id' in t.getFields() && t.name !== 'Query');
    const notNodes = withId
      .filter((t) => isObjectType(t) && !t.getInterfaces().some((i) => i.name === 'Node'))
      .map((t) => t.name);
    expect(notNodes.sort()).toEqual([...EVENT_PAYLOADS].sort());
    expect(
      schema
        .getPossibleTypes(node as never)
        .map((t) => t.name)
        .sort(),
    ).toEqual([
      'Deposit',
      'Event',
      'Merchant',
      'Transaction',
      'User',
      'UserTransaction',
      'WebhookEndpoint',
      'Withdrawal',
    ]);
  });
});
