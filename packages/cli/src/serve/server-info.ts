// server.json: the small file a running `aiops serve` keeps in its store directory, so that every other aiops
// command on that store reads through the server's query API instead of opening the (locked) database.
import fs from 'node:fs';
import path from 'node:path';

/** File name of the server info file inside the store directory. */
export const SERVER_INFO_FILE = 'server.json';

/** What server.json holds. */
export interface ServerInfo {
  /** Process id of the server. */
  readonly pid: number;
  /** Host the query API listens on (a wildcard host is written as 127.0.0.1). */
  readonly host: string;
  /** Query API port. */
  readonly queryPort: number;
  /** OTLP/HTTP port (0 when disabled). */
  readonly otlpHttpPort: number;
  /** OTLP/gRPC port (0 when disabled). */
  readonly otlpGrpcPort: number;
  /** Zipkin port (0 when disabled). */
  readonly zipkinPort: number;
  /** The store directory, absolute. */
  readonly store: string;
  /** ISO-8601 start time. */
  readonly startedAt: string;
  /** aiops version. */
  readonly version: string;
}

/** Base URL of a server's query API. */
export function queryUrl(info: Pick<ServerInfo, 'host' | 'queryPort'>): string {
  const h = info.host.includes(':') ? `[${info.host}]` : info.host;
  return `http://${h}:${info.queryPort}`;
}

/** Writes server.json atomically (write + rename). */
export function writeServerInfo(dir: string, info: ServerInfo): void {
  const file = path.join(dir, SERVER_INFO_FILE);
  const tmp = `${file}.${process.pid}.tmp`;
  fs.writeFileSync(tmp, `${JSON.stringify(info, null, 2)}\n`);
  fs.renameSync(tmp, file);
}

/** Removes server.json when it still names `pid`. */
export function removeServerInfo(dir: string, pid: number): void {
  const info = readServerInfoFile(dir);
  if (info && info.pid === pid) fs.rmSync(path.join(dir, SERVER_INFO_FILE), { force: true });
}

function readServerInfoFile(dir: string): ServerInfo | undefined {
  let text: string;
  try {
    text = fs.readFileSync(path.join(dir, SERVER_INFO_FILE), 'utf8');
  } catch {
    return undefined;
  }
  try {
    const v = JSON.parse(text) as Partial<ServerInfo>;
    if (typeof v.pid !== 'number' || typeof v.host !== 'string' || typeof v.queryPort !== 'number') return undefined;
    return v as ServerInfo;
  } catch {
    return undefined;
  }
}

/** Whether a process with this id exists (EPERM means it exists but belongs to someone else). */
export function processAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
  // A killed server whose parent has not reaped it yet (or that was re-parented to an init that does not reap, as
  // in many containers) still answers kill(pid, 0): on Linux, a zombie is dead.
  try {
    const stat = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
    const state = stat.slice(stat.lastIndexOf(')') + 2, stat.lastIndexOf(')') + 3);
    return state !== 'Z' && state !== 'X';
  } catch {
    return true;
  }
}

/**
 * The server that owns a store directory, or undefined when none runs.
 *
 * **Details** A server.json whose pid is dead (the server was killed with SIGKILL) is stale: it is ignored (and
 * removed when possible), so the store is opened directly.
 */
export function liveServerInfo(dir: string): ServerInfo | undefined {
  const info = readServerInfoFile(dir);
  if (!info) return undefined;
  if (info.pid === process.pid || processAlive(info.pid)) return info;
  try {
    fs.rmSync(path.join(dir, SERVER_INFO_FILE), { force: true });
  } catch {
    // A read-only directory: the stale file is ignored all the same.
  }
  return undefined;
}
