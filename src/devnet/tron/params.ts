/**
 * Chain parameters of the devnet: mainnet's figures (getchainparameters, 2025) so fees, stake-to-resource
 * ratios and energy costs come out as they would on mainnet. Sun unless named otherwise.
 */
export const PARAMS = {
  energyFee: 210,
  transactionFee: 1_000,
  createAccountFee: 100_000,
  createNewAccountFeeInSystemContract: 1_000_000,
  freeNetLimit: 600,
  maxFeeLimit: 15_000_000_000,
  memoFee: 1_000_000,
  multiSignFee: 1_000_000,
  updateAccountPermissionFee: 100_000_000,
  unfreezeDelayDays: 14,
  /** In blocks (30 days), the longest lock_period of a DelegateResourceContract. */
  maxDelegateLockPeriod: 864_000,
  totalEnergyCurrentLimit: 180_000_000_000,
  totalNetLimit: 43_200_000_000,
  dynamicEnergyThreshold: 5_000_000_000,
  dynamicEnergyIncreaseFactor: 2_000,
  dynamicEnergyMaxFactor: 34_000,
  maintenanceTimeIntervalMs: 21_600_000,
  maxCreateAccountTxSize: 1_000,
};

/**
 * The network's stake weights at genesis (TRX): mainnet's TotalNetWeight and TotalEnergyWeight of the
 * getaccountresource fixture, so 1 TRX staked gives the devnet ~11 energy and ~1.5 bytes a day as on mainnet.
 */
export const GENESIS_WEIGHTS = { net: 27_907_349_371n, energy: 16_307_687_034n };

/** java-tron constants: 3 s slots, 24 h resource windows, 1e6 precision, 3-day default delegation lock. */
export const BLOCK_INTERVAL_MS = 3_000;
export const WINDOW_SLOTS = 28_800n;
export const WINDOW_PRECISION = 1_000n;
export const USAGE_PRECISION = 1_000_000n;
export const FROZEN_PERIOD_MS = 86_400_000;
export const DELEGATE_PERIOD_BLOCKS = 86_400;
export const UNFREEZE_MAX_TIMES = 32;
export const DYNAMIC_ENERGY_FACTOR_DECIMAL = 10_000;

const CHAIN_PARAMETERS: [string, number][] = [
  ['getMaintenanceTimeInterval', PARAMS.maintenanceTimeIntervalMs],
  ['getAccountUpgradeCost', 9_999_000_000],
  ['getCreateAccountFee', PARAMS.createAccountFee],
  ['getTransactionFee', PARAMS.transactionFee],
  ['getAssetIssueFee', 1_024_000_000],
  ['getWitnessPayPerBlock', 8_000_000],
  ['getWitnessStandbyAllowance', 115_200_000_000],
  ['getCreateNewAccountFeeInSystemContract', PARAMS.createNewAccountFeeInSystemContract],
  ['getCreateNewAccountBandwidthRate', 1],
  ['getAllowCreationOfContracts', 1],
  ['getRemoveThePowerOfTheGr', -1],
  ['getEnergyFee', PARAMS.energyFee],
  ['getExchangeCreateFee', 1_024_000_000],
  ['getMaxCpuTimeOfOneTx', 80],
  ['getAllowUpdateAccountName', 0],
  ['getAllowSameTokenName', 1],
  ['getAllowDelegateResource', 1],
  ['getTotalEnergyLimit', 90_000_000_000],
  ['getAllowTvmTransferTrc10', 1],
  ['getTotalEnergyCurrentLimit', PARAMS.totalEnergyCurrentLimit],
  ['getAllowMultiSign', 1],
  ['getAllowAdaptiveEnergy', 0],
  ['getTotalEnergyTargetLimit', 6_250_000],
  ['getTotalEnergyAverageUsage', 0],
  ['getUpdateAccountPermissionFee', PARAMS.updateAccountPermissionFee],
  ['getMultiSignFee', PARAMS.multiSignFee],
  ['getAllowAccountStateRoot', 0],
  ['getAllowProtoFilterNum', 0],
  ['getAllowTvmConstantinople', 1],
  ['getAllowTvmSolidity059', 1],
  ['getAllowTvmIstanbul', 1],
  ['getAllowShieldedTransaction', 0],
  ['getShieldedTransactionFee', 10_000_000],
  ['getShieldedTransactionCreateAccountFee', 1_000_000],
  ['getAllowShieldedTRC20Transaction', 1],
  ['getForbidTransferToContract', 0],
  ['getAdaptiveResourceLimitTargetRatio', 10],
  ['getAdaptiveResourceLimitMultiplier', 1_000],
  ['getChangeDelegation', 1],
  ['getWitness127PayPerBlock', 128_000_000],
  ['getAllowMarketTransaction', 0],
  ['getMarketSellFee', 0],
  ['getMarketCancelFee', 0],
  ['getAllowPBFT', 0],
  ['getAllowTransactionFeePool', 0],
  ['getMaxFeeLimit', PARAMS.maxFeeLimit],
  ['getAllowOptimizeBlackHole', 1],
  ['getAllowNewResourceModel', 1],
  ['getAllowTvmFreeze', 1],
  ['getAllowTvmVote', 1],
  ['getAllowTvmLondon', 1],
  ['getAllowTvmCompatibleEvm', 0],
  ['getAllowAccountAssetOptimization', 0],
  ['getFreeNetLimit', PARAMS.freeNetLimit],
  ['getTotalNetLimit', PARAMS.totalNetLimit],
  ['getAllowHigherLimitForMaxCpuTimeOfOneTx', 1],
  ['getAllowAssetOptimization', 1],
  ['getAllowNewReward', 1],
  ['getMemoFee', PARAMS.memoFee],
  ['getAllowDelegateOptimization', 1],
  ['getUnfreezeDelayDays', PARAMS.unfreezeDelayDays],
  ['getAllowOptimizedReturnValueOfChainId', 1],
  ['getAllowDynamicEnergy', 1],
  ['getDynamicEnergyThreshold', PARAMS.dynamicEnergyThreshold],
  ['getDynamicEnergyIncreaseFactor', PARAMS.dynamicEnergyIncreaseFactor],
  ['getDynamicEnergyMaxFactor', PARAMS.dynamicEnergyMaxFactor],
  ['getAllowTvmShangHai', 1],
  ['getAllowCancelAllUnfreezeV2', 1],
  ['getMaxDelegateLockPeriod', PARAMS.maxDelegateLockPeriod],
  ['getAllowOldRewardOpt', 1],
  ['getAllowEnergyAdjustment', 1],
  ['getMaxCreateAccountTxSize', PARAMS.maxCreateAccountTxSize],
  ['getAllowStrictMath', 1],
];

/** getchainparameters, in java-tron's order; a zero value is printed without `value` (protobuf default). */
export function chainParameters(): object {
  return { chainParameter: CHAIN_PARAMETERS.map(([key, value]) => (value ? { key, value } : { key })) };
}
