import { address, type Ctx, type Handler } from './api-util.js';
import type { Chain } from './chain.js';
import { caughtUp, currentCycle } from './energy.js';
import { renderContract, renderContractInfo } from './json.js';
import { renderAccount, renderAccountNet, renderAccountResource } from './json-account.js';
import { chainParameters, PARAMS } from './params.js';

/**
 * Account, contract and node endpoints: getaccount, getaccountresource, getaccountnet, getcontract,
 * getcontractinfo, getchainparameters, getenergyprices, getbandwidthprices, getnodeinfo, getReward and
 * getBrokerage. The full node answers from the pending state, the solidity node from the solidified head.
 */

const EMPTY = {};

export function createAccountApi(chain: Chain): Record<string, Handler> {
  const view = (ctx: Ctx) => ({
    state: chain.reader(ctx.solid),
    clock: ctx.solid ? chain.solidClock() : chain.clock(),
  });

  return {
    getaccount: (p, ctx) => {
      const { state, clock } = view(ctx);
      return renderAccount(state, address(p, 'address', ctx.visible) as string, ctx.visible, clock) ?? EMPTY;
    },
    getaccountresource: (p, ctx) => {
      const { state, clock } = view(ctx);
      return renderAccountResource(state, address(p, 'address', ctx.visible) as string, clock) ?? EMPTY;
    },
    getaccountnet: (p, ctx) => {
      const { state, clock } = view(ctx);
      return renderAccountNet(state, address(p, 'address', ctx.visible) as string, clock) ?? EMPTY;
    },
    getcontract: (p, ctx) => renderContract(address(p, 'value', ctx.visible) as string, ctx.visible) ?? EMPTY,
    getcontractinfo: (p, ctx) => {
      const contract = address(p, 'value', ctx.visible) as string;
      const { state, clock } = view(ctx);
      return (
        renderContractInfo(contract, ctx.visible, caughtUp(state, contract, currentCycle(clock))) ?? EMPTY
      );
    },
    getchainparameters: () => chainParameters(),
    getenergyprices: () => ({
      prices:
        '0:100,1575871200000:10,1606537680000:40,1614238080000:140,1635739080000:280,1681895880000:420,1726131600000:210',
    }),
    getbandwidthprices: () => ({ prices: '0:10,1606537680000:40,1614238080000:140,1626581880000:1000' }),
    getnodeinfo: () => {
      const h = chain.head();
      const s = chain.blocks[chain.solidNumber()]!;
      return {
        activeConnectCount: 0,
        beginSyncNum: h.number,
        block: `Num:${h.number},ID:${h.blockID}`,
        solidityBlock: `Num:${s.number},ID:${s.blockID}`,
        configNodeInfo: { codeVersion: 'devnet', p2pVersion: '0', versionNum: '0' },
      };
    },
    // a single node: no peers
    listnodes: () => EMPTY,
    /** When the next maintenance period starts: the next dynamic energy re-evaluation (energy.ts). */
    getnextmaintenancetime: () => {
      const clock = chain.clock();
      return { num: clock.genesisMs + currentCycle(clock) * PARAMS.maintenanceTimeIntervalMs };
    },
    // the devnet has no witnesses to vote for: no account earns rewards, brokerage is java-tron's default
    getreward: () => ({ reward: 0 }),
    getbrokerage: () => ({ brokerage: 20 }),
  };
}
