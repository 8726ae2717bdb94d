// @aiops/benchmarks scenarios: synthetic microservice traffic with injected faults and ground truth, for
// measuring the analyzers' accuracy and the ingest/store throughput.
export { generateScenario, SCENARIO_DEFAULTS, scenarioTopology } from './generate-scenario.ts';
export {
  generateTracePair,
  type PairDifference,
  type TracePair,
  type TracePairOptions,
  type TracePairTruth,
} from './trace-pair.ts';
export type {
  EdgeKind,
  ErrorType,
  FaultKind,
  FaultSpec,
  HandledError,
  MessyStyle,
  Scenario,
  ScenarioOptions,
  ScenarioTopology,
  ScenarioTruth,
  ServiceKind,
  ServiceOperation,
  SlowCause,
  TopologyCall,
  TopologyOperation,
  TraceTruth,
  TrafficBurst,
  TruthEdge,
  TruthEntry,
  TruthFault,
  TruthService,
} from './types.ts';
