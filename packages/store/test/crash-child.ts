// Child process of crash.test.ts: appends batches forever, printing "ack <n>" after each append resolves.
import { spanTableFromRows } from '@aiops/span-model';
import { openStore } from '../src/index.ts';
import { span } from './helpers.ts';

const store = await openStore({ dir: process.argv[2]! });
for (let n = 0; ; n++) {
  const trace = (n + 1).toString(16).padStart(32, '0');
  const rows = Array.from({ length: 50 }, (_, i) =>
    span(
      trace,
      (i + 1).toString(16),
      i === 0 ? undefined : '1',
      `svc-${i % 5}`,
      `op-${i}`,
      n * 1000 + i,
      n * 1000 + i + 10,
    ),
  );
  await store.append(spanTableFromRows(rows));
  process.stdout.write(`ack ${n}\n`);
}
