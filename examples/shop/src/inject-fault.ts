// Injects a fault into a running shop service through its control endpoint, or ends faults.
//
//   node --import tsx src/inject-fault.ts http://127.0.0.1:7103 db-latency ms=300 durationMs=30000
//   node --import tsx src/inject-fault.ts http://127.0.0.1:7103 clear
import { resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { FaultRecord, FaultSpec } from './lib/faults.ts';

/** Starts a fault on the service at `baseUrl`; resolves to its ground-truth record. */
export async function injectFault(baseUrl: string, spec: FaultSpec): Promise<FaultRecord> {
  const res = await fetch(`${baseUrl}/__fault`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(spec),
  });
  const body = (await res.json()) as FaultRecord | { error: string };
  if (res.status !== 201) throw new Error(`example-shop: fault rejected: ${(body as { error: string }).error}`);
  return body as FaultRecord;
}

/** Ends every fault of the service at `baseUrl` (or one by id); resolves to the ended records. */
export async function clearFaults(baseUrl: string, id?: string): Promise<FaultRecord[]> {
  const res = await fetch(`${baseUrl}/__fault${id ? `/${id}` : ''}`, { method: 'DELETE' });
  return (await res.json()) as FaultRecord[];
}

async function main(): Promise<void> {
  const [url, kind, ...rest] = process.argv.slice(2);
  if (!url || !kind) {
    process.stderr.write('usage: inject-fault <service-url> <kind|clear> [key=value ...]\n');
    process.exit(2);
  }
  if (kind === 'clear') {
    process.stdout.write(`${JSON.stringify(await clearFaults(url), null, 2)}\n`);
    return;
  }
  const spec: Record<string, unknown> = { kind };
  for (const kv of rest) {
    const [k, v] = kv.split('=');
    if (k && v !== undefined) spec[k] = k === 'path' ? v : Number(v);
  }
  process.stdout.write(`${JSON.stringify(await injectFault(url, spec as unknown as FaultSpec), null, 2)}\n`);
}

if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) await main();
