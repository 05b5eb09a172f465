/** ABI entries as `wallet/getcontract` prints them (java-tron spells types and mutabilities capitalised). */

const fn = (name: string, inputs: [string, string][], outputs: string[], mutability: string) => ({
  ...(mutability === 'View' ? { constant: true } : {}),
  ...(inputs.length ? { inputs: inputs.map(([n, type]) => ({ name: n, type })) } : {}),
  name,
  ...(outputs.length ? { outputs: outputs.map((type) => ({ type })) } : {}),
  type: 'Function',
  stateMutability: mutability,
});

const ev = (name: string, inputs: [string, string, boolean][]) => ({
  inputs: inputs.map(([n, type, indexed]) => ({ ...(indexed ? { indexed: true } : {}), name: n, type })),
  name,
  type: 'Event',
});

export const TRC20_ABI = [
  fn('name', [], ['string'], 'View'),
  fn('symbol', [], ['string'], 'View'),
  fn('decimals', [], ['uint8'], 'View'),
  fn('totalSupply', [], ['uint256'], 'View'),
  fn('balanceOf', [['who', 'address']], ['uint256'], 'View'),
  fn(
    'allowance',
    [
      ['_owner', 'address'],
      ['_spender', 'address'],
    ],
    ['uint256'],
    'View',
  ),
  fn(
    'transfer',
    [
      ['_to', 'address'],
      ['_value', 'uint256'],
    ],
    ['bool'],
    'Nonpayable',
  ),
  fn(
    'transferFrom',
    [
      ['_from', 'address'],
      ['_to', 'address'],
      ['_value', 'uint256'],
    ],
    ['bool'],
    'Nonpayable',
  ),
  fn(
    'approve',
    [
      ['_spender', 'address'],
      ['_value', 'uint256'],
    ],
    ['bool'],
    'Nonpayable',
  ),
  ev('Transfer', [
    ['from', 'address', true],
    ['to', 'address', true],
    ['value', 'uint256', false],
  ]),
  ev('Approval', [
    ['owner', 'address', true],
    ['spender', 'address', true],
    ['value', 'uint256', false],
  ]),
];

export const DISPERSE_ABI = [
  fn(
    'disperseToken',
    [
      ['token', 'address'],
      ['recipients', 'address[]'],
      ['values', 'uint256[]'],
    ],
    [],
    'Nonpayable',
  ),
];
