import { computeAddress, getCreateAddress } from 'ethers';

/** A devnet account: both halves are public knowledge, never use them on a real network. */
export interface DevnetAccount {
  address: string;
  privateKey: string;
}

/** Hardhat's default mnemonic; its accounts are what every Ethereum tool knows as "the hardhat accounts". */
export const HARDHAT_MNEMONIC = 'test test test test test test test test test test test junk';

/**
 * The first ten keys of HARDHAT_MNEMONIC at m/44'/60'/0'/0/i (hardcoded: deriving them costs ~90 ms at start;
 * test/integration/evm-devnet.test.ts checks them against the mnemonic).
 */
const HARDHAT_KEYS = [
  '0xac0974bec39a17e36ba4a6b4d238ff944bacb478cbed5efcae784d7bf4f2ff80',
  '0x59c6995e998f97a5a0044966f0945389dc9e86dae88c7a8412f4603b6b78690d',
  '0x5de4111afa1a4b94908f83103eb1f1706367c2e68ca870fc3fb9a804cdab365a',
  '0x7c852118294e51e653712a81e05800f419141751be58f605c371e15141b007a6',
  '0x47e179ec197488593b187f80a00eb0da91f1b9d0b13f8733639f19c30a34926a',
  '0x8b3a350cf5c34c9194ca85829a2df0ec3153be0318b5e2d3348e872092edffba',
  '0x92db14e403b83dfe3df233f83dfa3a0d7096f21ca9b0d6d6b8d88b2b4ec1564e',
  '0x4bbbf85ce3377467afe5d46f804f221813b2bb87f24d81f60f1fcdbf7cbf4356',
  '0xdbda1821b80551c9d65939329250298aa3472ba22feea921c0cf5d620ea67b97',
  '0x2a871d0798f97d79848a013d4936a73bf4cc922c825d33c1cf7073dff6d409c6',
];

const account = (privateKey: string): DevnetAccount => ({ address: computeAddress(privateKey), privateKey });

/** Hardhat accounts #0–#9, 10 000 ETH each at genesis. #0 is the faucet; #1–#9 are free for tests to sign with. */
export const HARDHAT_ACCOUNTS: readonly DevnetAccount[] = HARDHAT_KEYS.map(account);

/** Hardhat account #0 (0xf39F…2266): holds ETH and 10^12 whole tokens of every devnet token. */
export const FAUCET: DevnetAccount = HARDHAT_ACCOUNTS[0]!;

/**
 * Deploys the contracts, in a fixed order, from nonce 0 at start: keccak256("novapayments/evm-devnet/deployer").
 * Nothing else uses it, so the contract addresses below never change (CREATE depends on sender and nonce only,
 * not on the chain id or the bytecode).
 */
export const DEPLOYER = account('0x55935bd5b797353ce86bd8b6c16314ee3086652fce4bfb1a892240e49abbcfd8');

/**
 * Has ETH and never any token: sendToken(..., { revert: true }) sends from it, so the token's own balance
 * check reverts the transfer on chain (status 0, no Transfer log). keccak256("novapayments/evm-devnet/no-tokens").
 */
export const NO_TOKENS = account('0x9d0162de5bb4521f3814ac1efb65da671fc26f9c5ccb1c05b3172e666a02234e');

const created = (nonce: number) => getCreateAddress({ from: DEPLOYER.address, nonce });

/** USDT with 6 decimals, like Ethereum's and Polygon's (deployer nonce 0): 0x623ef522f686aC77093d606244e6351Fa451A85D. */
export const USDT6_ADDRESS = created(0);
/** USDT with 18 decimals, like BSC's BEP20 USDT (deployer nonce 1): 0x1D26DC7BD98CFc1427c399B363eFDAC277274359. */
export const USDT18_ADDRESS = created(1);
/** FakeToken: same name, symbol and decimals as USDT6 (deployer nonce 2): 0xc1Fd2F3A3fC8D81AC497a2A257c4ADd7087cDE45. */
export const FAKE_TOKEN_ADDRESS = created(2);
/** Disperse (deployer nonce 3): 0x2E6C3c300B8fDBa7fF8F885Cb10aF5509a23C53f. */
export const DISPERSE_ADDRESS = created(3);
