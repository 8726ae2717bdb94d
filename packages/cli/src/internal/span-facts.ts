// Per-span facts the trace panel shows: kind of call (db, cache, external, messaging) and one-line suggestions.
import { isCacheSystem, SpanKind, type SpanTable, type TraceTree } from '@aiops/span-model';

/** What kind of call a span is, from its semantic attributes. */
export type CallKind = 'db' | 'cache' | 'external' | 'messaging' | 'rpc' | 'http' | 'internal';

/** Classifies span `row` by its semantic attributes. */
export function callKind(table: SpanTable, tree: TraceTree, row: number): CallKind {
  const db = table.stringAt('dbSystem', row);
  if (db) return isCacheSystem(db) ? 'cache' : 'db';
  if (table.stringAt('dbStatement', row)) return 'db';
  if (table.stringAt('messagingSystem', row)) return 'messaging';
  const kind = table.columns.kind[row]!;
  const hasChildren = tree.links.childOffsets[row + 1]! > tree.links.childOffsets[row]!;
  if (
    kind === SpanKind.Client &&
    !hasChildren &&
    (table.stringAt('peerService', row) || table.stringAt('serverAddress', row))
  ) {
    return 'external';
  }
  if (table.stringAt('rpcSystem', row)) return 'rpc';
  if (table.stringAt('httpMethod', row) || table.columns.httpStatusCode[row]! > 0) return 'http';
  return 'internal';
}

/** Concrete suggestions for a bottleneck span, drawn from its semantic attributes. */
export function suggestionsFor(
  table: SpanTable,
  tree: TraceTree,
  row: number,
  exclusiveMs: number,
  lang: 'en' | 'zh',
): string[] {
  const zh = lang === 'zh';
  const out: string[] = [];
  const kind = callKind(table, tree, row);
  const service = table.stringAt('service', row);
  const op = table.stringAt('operation', row);
  const stmt = table.stringAt('dbStatement', row);
  const dbSystem = table.stringAt('dbSystem', row);
  const peer = table.stringAt('peerService', row) || table.stringAt('serverAddress', row);
  const ms = `${exclusiveMs.toFixed(1)}ms`;
  // Repeated calls of the same operation under one parent: N+1.
  const parent = tree.links.parent[row]!;
  if (parent >= 0) {
    const opCode = table.dict('operation').codes[row]!;
    let same = 0;
    for (let k = tree.links.childOffsets[parent]!; k < tree.links.childOffsets[parent + 1]!; k++) {
      if (table.dict('operation').codes[tree.links.children[k]!] === opCode) same++;
    }
    if (same >= 3) {
      out.push(
        zh
          ? `「${op}」在同一父调用下重复执行了 ${same} 次（N+1 模式）：合并为一次批量查询或批量请求。`
          : `"${op}" runs ${same} times under the same parent (an N+1 pattern): batch it into one query or request.`,
      );
    }
  }
  if (kind === 'db') {
    const q = stmt ? (stmt.length > 120 ? `${stmt.slice(0, 117)}...` : stmt) : op;
    const system = dbSystem || 'database';
    out.push(
      zh
        ? `慢数据库查询（${system}，${ms}）：${q} — 用 EXPLAIN 查看执行计划，检查过滤/连接列上的索引，必要时加 LIMIT 或缓存结果。`
        : `Slow ${system} query (${ms}): ${q} — run EXPLAIN on it, check indexes on the filtered and joined columns, add a LIMIT or cache the result.`,
    );
  } else if (kind === 'cache') {
    out.push(
      zh
        ? `缓存调用（${dbSystem}）耗时 ${ms}，缓存本应是快速路径：检查缓存服务器延迟、大 key 或连接池是否耗尽。`
        : `A ${dbSystem} cache call took ${ms}, though a cache should be the fast path: check the cache server's latency, large keys, or an exhausted connection pool.`,
    );
  } else if (kind === 'external') {
    out.push(
      zh
        ? `外部依赖 ${peer} 耗时 ${ms}：设置超时与熔断器，考虑缓存或异步调用。`
        : `External call to ${peer} took ${ms}: set a timeout and a circuit breaker, and consider caching or calling it asynchronously.`,
    );
  } else if (kind === 'messaging') {
    out.push(
      zh
        ? `消息操作 ${op} 耗时 ${ms}：检查队列积压与消费者并发。`
        : `Messaging operation ${op} took ${ms}: check the queue backlog and consumer concurrency.`,
    );
  } else {
    out.push(
      zh
        ? `时间花在 ${service} 的「${op}」自身（不是等待下游）：对该操作做 CPU/锁/GC 剖析。`
        : `The time is spent inside ${service} "${op}" itself, not waiting on downstream calls: profile it for CPU, lock contention or GC pauses.`,
    );
  }
  if (table.columns.statusCode[row] === 2) {
    const msg = table.stringAt('statusMessage', row) || table.stringAt('exceptionMessage', row);
    out.push(zh ? `该 Span 失败了${msg ? `：${msg}` : ''}。` : `This span also failed${msg ? `: ${msg}` : ''}.`);
  }
  return out;
}
