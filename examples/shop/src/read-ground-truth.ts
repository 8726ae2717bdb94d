// Reads the ground-truth file the shop's services append each ended fault to (one JSON record per line).
import { existsSync, readFileSync } from 'node:fs';
import type { FaultRecord } from './lib/faults.ts';

/** The fault records of `file`, in the order they ended; [] when the file does not exist. */
export function readGroundTruth(file: string): FaultRecord[] {
  if (!existsSync(file)) return [];
  return readFileSync(file, 'utf8')
    .split('\n')
    .filter((l) => l.trim())
    .map((l) => JSON.parse(l) as FaultRecord);
}
