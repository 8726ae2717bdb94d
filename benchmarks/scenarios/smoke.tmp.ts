import { scenarioTopology } from './index.ts';

const topo = scenarioTopology({ seed: 11 });
for (const o of topo.operations.filter((o) => o.service === 'frontend'))
  console.log(o.name, JSON.stringify(o.calls.map((c) => [c.target, c.stage, c.concurrent])));
console.log(topo.entries);
