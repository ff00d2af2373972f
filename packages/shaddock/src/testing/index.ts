/**
 * `shaddock/testing`: what tests of apps and drivers use — the contract suites every driver
 * passes (membership, RPC link, stores, logger) and an application for tests that drive
 * components without a cluster. Imports vitest: never part of an app's runtime.
 */

export { describeLoggerContract } from '../logging/testing.js';
export { describeChannelStoreContract } from './channel-store-contract.js';
export {
  type ControlPlaneHarness,
  describeControlPlaneContract,
  type MemberOrders,
} from './control-plane-contract.js';
export { describeMembershipContract, type MembershipHarness } from './membership-contract.js';
export { describePlacementTableContract, type PlacementTableHarness } from './placement-table-contract.js';
export { type RecordingLogger, recordingLogger } from './recording-logger.js';
export { describeRpcLinkContract, type RpcLinkHarness } from './rpc-link-contract.js';
export { describeStatusStoreContract } from './status-store-contract.js';
export { type TestApplication, type TestApplicationOptions, testApplication } from './test-application.js';
export { waitUntil } from './wait.js';
