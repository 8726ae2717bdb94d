// Which attribute keys feed which derived column, in priority order (newer semantic conventions first).
import type { DictionaryColumnName } from '../schema.ts';

/** Derived numeric slots. */
export const NUMERIC_KEYS: Readonly<Record<string, { slot: 'httpStatusCode' | 'rpcStatusCode'; priority: number }>> = {
  'http.response.status_code': { slot: 'httpStatusCode', priority: 2 },
  'http.status_code': { slot: 'httpStatusCode', priority: 1 },
  'rpc.grpc.status_code': { slot: 'rpcStatusCode', priority: 1 },
};

/** Derived string slots: key → column and priority (higher wins). */
export const STRING_KEYS: Readonly<Record<string, { slot: DictionaryColumnName; priority: number }>> = {
  'http.request.method': { slot: 'httpMethod', priority: 2 },
  'http.method': { slot: 'httpMethod', priority: 1 },
  'http.route': { slot: 'httpRoute', priority: 4 },
  'url.template': { slot: 'httpRoute', priority: 3 },
  'url.path': { slot: 'httpRoute', priority: 2 },
  'http.target': { slot: 'httpRoute', priority: 1 },
  'http.path': { slot: 'httpRoute', priority: 1 },
  'rpc.system': { slot: 'rpcSystem', priority: 1 },
  'rpc.system.name': { slot: 'rpcSystem', priority: 2 },
  'rpc.service': { slot: 'rpcService', priority: 1 },
  'rpc.method': { slot: 'rpcMethod', priority: 1 },
  'db.system.name': { slot: 'dbSystem', priority: 2 },
  'db.system': { slot: 'dbSystem', priority: 1 },
  'db.type': { slot: 'dbSystem', priority: 0 },
  'db.namespace': { slot: 'dbName', priority: 2 },
  'db.name': { slot: 'dbName', priority: 1 },
  'db.instance': { slot: 'dbName', priority: 0 },
  'db.query.text': { slot: 'dbStatement', priority: 2 },
  'db.statement': { slot: 'dbStatement', priority: 1 },
  'sql.query': { slot: 'dbStatement', priority: 0 },
  'db.operation.name': { slot: 'dbOperation', priority: 2 },
  'db.operation': { slot: 'dbOperation', priority: 1 },
  'messaging.system': { slot: 'messagingSystem', priority: 1 },
  'messaging.destination.name': { slot: 'messagingDestination', priority: 3 },
  'messaging.destination': { slot: 'messagingDestination', priority: 2 },
  'message_bus.destination': { slot: 'messagingDestination', priority: 1 },
  'peer.service': { slot: 'peerService', priority: 1 },
  'server.address': { slot: 'serverAddress', priority: 4 },
  'net.peer.name': { slot: 'serverAddress', priority: 3 },
  'network.peer.address': { slot: 'serverAddress', priority: 1 },
  'net.peer.ip': { slot: 'serverAddress', priority: 1 },
  'peer.hostname': { slot: 'serverAddress', priority: 2 },
  'peer.address': { slot: 'serverAddress', priority: 1 },
  'error.type': { slot: 'errorType', priority: 1 },
};

/** Resource keys that name the host of a span, best first. */
export const HOST_KEYS: readonly string[] = [
  'host.name',
  'k8s.pod.name',
  'container.name',
  'host.id',
  'service.instance.id',
  'hostname',
  'ip',
];
