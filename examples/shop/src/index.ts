// The example shop's programmatic API: start the services, drive load, inject faults, read the ground truth.
export { clearFaults, injectFault } from './inject-fault.ts';
export { FAULT_KINDS, type FaultKind, type FaultRecord, type FaultSpec } from './lib/faults.ts';
export { type LoadOptions, type LoadStats, runLoad } from './load-generator.ts';
export { readGroundTruth } from './read-ground-truth.ts';
export { type RunningShop, SHOP_DIR, SHOP_SERVICES, type StartShopOptions, startShop } from './run-shop.ts';
