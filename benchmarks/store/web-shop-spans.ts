// A self-contained generator of realistic web-shop spans for the store benchmarks (used while the shared
// benchmarks/scenarios generator is not available): 12 services, ~16 spans per trace, 8-15 attributes per span,
// full-nanosecond timestamps, per-trace user/session ids, high-cardinality url paths, IPs and ports.
import { AttributeType, type SpanTable, SpanTableBuilder } from '@aiops/span-model';

const S = AttributeType.String;
const I = AttributeType.Int;

/** A seeded xorshift PRNG in [0, 1). */
export function rng(seed: number): () => number {
  let x = seed >>> 0 || 1;
  return () => {
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    return (x >>> 0) / 4294967296;
  };
}

const SERVICES = [
  'frontend',
  'api-gateway',
  'cart',
  'checkout',
  'payment',
  'shipping',
  'currency',
  'catalog',
  'recommendation',
  'ad',
  'email',
  'quote',
] as const;

interface Step {
  service: string;
  op: string;
  kind: number;
  type: 'http-server' | 'http-client' | 'grpc-server' | 'grpc-client' | 'db' | 'cache' | 'internal';
  children: number[];
}

// One request flow (a tree of steps); every trace follows one of these flows.
function flow(entry: string, route: string): Step[] {
  const steps: Step[] = [
    { service: 'frontend', op: `GET ${route}`, kind: 2, type: 'http-server', children: [1, 5] },
    { service: 'frontend', op: 'HTTP GET', kind: 3, type: 'http-client', children: [2] },
    { service: 'api-gateway', op: `GET ${route}`, kind: 2, type: 'http-server', children: [3] },
    { service: 'api-gateway', op: `${entry}/Get`, kind: 3, type: 'grpc-client', children: [4] },
    { service: entry, op: `${entry}/Get`, kind: 2, type: 'grpc-server', children: [6, 8, 10, 12] },
    { service: 'frontend', op: 'render', kind: 1, type: 'internal', children: [] },
    { service: entry, op: 'SELECT items', kind: 3, type: 'db', children: [] },
    { service: entry, op: 'unused', kind: 1, type: 'internal', children: [] },
    { service: entry, op: 'GET', kind: 3, type: 'cache', children: [] },
    { service: entry, op: 'unused', kind: 1, type: 'internal', children: [] },
    { service: entry, op: 'currency/Convert', kind: 3, type: 'grpc-client', children: [11] },
    { service: 'currency', op: 'currency/Convert', kind: 2, type: 'grpc-server', children: [] },
    { service: entry, op: 'catalog/GetProduct', kind: 3, type: 'grpc-client', children: [13] },
    { service: 'catalog', op: 'catalog/GetProduct', kind: 2, type: 'grpc-server', children: [14, 15] },
    { service: 'catalog', op: 'SELECT products', kind: 3, type: 'db', children: [] },
    { service: 'catalog', op: 'recommendation/List', kind: 3, type: 'grpc-client', children: [16] },
    { service: 'recommendation', op: 'recommendation/List', kind: 2, type: 'grpc-server', children: [] },
  ];
  return steps;
}

const FLOWS: Step[][] = [
  flow('cart', '/api/cart'),
  flow('checkout', '/api/checkout'),
  flow('payment', '/api/pay'),
  flow('shipping', '/api/shipping/quote'),
  flow('ad', '/api/ads'),
  flow('email', '/api/notify'),
  flow('quote', '/api/quote'),
  flow('catalog', '/api/products'),
];

const STATEMENTS = [
  'SELECT id, name, price FROM products WHERE id = $1',
  'SELECT * FROM cart_items WHERE user_id = $1',
  'UPDATE inventory SET qty = qty - $1 WHERE sku = $2',
  'INSERT INTO orders (user_id, total) VALUES ($1, $2)',
];
const AGENTS = [
  'Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 Chrome/124.0 Safari/537.36',
  'Mozilla/5.0 (iPhone; CPU iPhone OS 17_4 like Mac OS X) AppleWebKit/605.1.15 Mobile/15E148',
  'Mozilla/5.0 (Macintosh; Intel Mac OS X 14_4) AppleWebKit/605.1.15 Version/17.4 Safari/605.1.15',
];

/** Options of {@link webShopSpans}. */
export interface WebShopOptions {
  /** Approximate number of spans. */
  readonly spans: number;
  /** PRNG seed. */
  readonly seed?: number;
  /** Start of the first trace, ns. */
  readonly startUnixNano?: bigint;
  /** Traces per second of simulated time. */
  readonly tracesPerSecond?: number;
}

/**
 * Generates whole traces (about `spans` spans) as one SpanTable, with the resource of each span's service pod.
 */
export function webShopSpans(options: WebShopOptions): SpanTable {
  const rand = rng(options.seed ?? 1);
  const b = new SpanTableBuilder({ initialCapacity: options.spans + 64 });
  const resources = SERVICES.map((svc) =>
    [0, 1, 2].map((pod) => [
      ['service.name', S, svc] as const,
      ['service.version', S, '2.4.1'] as const,
      ['service.namespace', S, 'shop'] as const,
      ['host.name', S, `${svc}-7d9f8b6c4-${pod}x2k9`] as const,
      ['k8s.pod.name', S, `${svc}-7d9f8b6c4-${pod}x2k9`] as const,
      ['k8s.namespace.name', S, 'prod'] as const,
      ['telemetry.sdk.language', S, 'nodejs'] as const,
      ['telemetry.sdk.name', S, 'opentelemetry'] as const,
      ['telemetry.sdk.version', S, '1.30.0'] as const,
    ]),
  );
  const traceBytes = new Uint8Array(16);
  const spanBytes = new Uint8Array(8);
  const parentBytes = new Uint8Array(8);
  const perSecond = options.tracesPerSecond ?? 200;
  let t0 = options.startUnixNano ?? 1_700_000_000_000_000_000n;
  const rb = () => Math.floor(rand() * 256);
  const ip = () => `10.4.${Math.floor(rand() * 3)}.${10 + Math.floor(rand() * 36)}`; // pod IPs: 36 pods
  while (b.length < options.spans) {
    const steps = FLOWS[Math.floor(rand() * FLOWS.length)]!;
    for (let i = 0; i < 16; i++) traceBytes[i] = rb();
    t0 += BigInt(Math.floor((rand() * 2 * 1e9) / perSecond));
    const userId = `u${Math.floor(rand() * 200_000)}`;
    const sessionId = Math.floor(rand() * 2 ** 48).toString(16);
    const productId = String(100000 + Math.floor(rand() * 5000));
    const failed = rand() < 0.02;
    const clientIp = `${1 + Math.floor(rand() * 223)}.${Math.floor(rand() * 256)}.${Math.floor(rand() * 256)}.${Math.floor(rand() * 256)}`;
    const ids: Uint8Array[] = [];
    // Durations: children inside parents, log-normal-ish self times, full ns.
    const start: bigint[] = [];
    const dur: bigint[] = [];
    const plan = (s: number, at: bigint, budget: number): void => {
      start[s] = at;
      const own = Math.max(20_000, Math.floor(budget * (0.6 + rand() * 0.4)));
      dur[s] = BigInt(own);
      let cursor = at + BigInt(Math.floor(own * 0.05 + rand() * 1000));
      const kids = steps[s]!.children;
      for (const k of kids) {
        const share = Math.floor((own * 0.8) / Math.max(1, kids.length));
        plan(k, cursor, share);
        cursor += BigInt(share + Math.floor(rand() * 500));
      }
    };
    plan(0, t0, Math.floor(2e6 + rand() * rand() * 3e8));
    const used = new Set<number>();
    const walk = (s: number) => {
      used.add(s);
      for (const k of steps[s]!.children) walk(k);
    };
    walk(0);
    const parentOf: number[] = [];
    for (let s = 0; s < steps.length; s++) for (const k of steps[s]!.children) parentOf[k] = s;
    for (let s = 0; s < steps.length; s++) {
      if (!used.has(s)) continue;
      const st = steps[s]!;
      const sid = new Uint8Array(8);
      for (let i = 0; i < 8; i++) sid[i] = rb();
      ids[s] = sid;
      const svcIndex = SERVICES.indexOf(st.service as (typeof SERVICES)[number]);
      b.setResource(resources[svcIndex]![Math.floor(rand() * 3)]!);
      b.setScope(`@opentelemetry/instrumentation-${st.type.split('-')[0]}`, '0.52.0');
      b.beginSpan();
      b.setTraceIdBytes(traceBytes, 0, 16);
      spanBytes.set(sid);
      b.setSpanIdBytes(spanBytes, 0, 8);
      if (parentOf[s] !== undefined) {
        parentBytes.set(ids[parentOf[s]!]!);
        b.setParentSpanIdBytes(parentBytes, 0, 8);
      }
      b.setOperation(st.op);
      b.setKind(st.kind as 0);
      const err = failed && (s === 0 || st.type === 'db');
      if (err) b.setStatus(2, 'internal error');
      b.setStartDurationNano(start[s]!, dur[s]!);
      const peer = ip();
      switch (st.type) {
        case 'http-server':
          b.addAttribute('http.request.method', S, 'GET');
          b.addAttribute('http.route', S, st.op.slice(4));
          b.addAttribute('url.path', S, `${st.op.slice(4)}/${productId}`);
          b.addAttribute('url.scheme', S, 'https');
          b.addAttribute('http.response.status_code', I, err ? '500' : '200');
          b.addAttribute('server.address', S, 'shop.example.com');
          b.addAttribute('server.port', I, '443');
          b.addAttribute('client.address', S, clientIp);
          b.addAttribute('user_agent.original', S, AGENTS[Math.floor(rand() * AGENTS.length)]!);
          b.addAttribute('network.protocol.version', S, '1.1');
          b.addAttribute('app.user.id', S, userId);
          b.addAttribute('app.session.id', S, sessionId);
          break;
        case 'http-client':
          b.addAttribute('http.request.method', S, 'GET');
          b.addAttribute('url.full', S, `http://api-gateway:8080${steps[0]!.op.slice(4)}/${productId}`);
          b.addAttribute('server.address', S, 'api-gateway');
          b.addAttribute('server.port', I, '8080');
          b.addAttribute('http.response.status_code', I, err ? '500' : '200');
          b.addAttribute('network.peer.address', S, peer);
          b.addAttribute('network.peer.port', I, '8080');
          b.addAttribute('app.user.id', S, userId);
          break;
        case 'grpc-server':
        case 'grpc-client': {
          const [svc, method] = st.op.split('/') as [string, string];
          b.addAttribute('rpc.system', S, 'grpc');
          b.addAttribute('rpc.service', S, `oteldemo.${svc}Service`);
          b.addAttribute('rpc.method', S, method);
          b.addAttribute('rpc.grpc.status_code', I, '0');
          b.addAttribute('server.address', S, svc);
          b.addAttribute('server.port', I, '50051');
          b.addAttribute('network.peer.address', S, peer);
          b.addAttribute('network.peer.port', I, st.kind === 2 ? String(30000 + Math.floor(rand() * 30000)) : '50051');
          b.addAttribute('app.user.id', S, userId);
          b.addAttribute('app.product.id', S, productId);
          if (rand() < 0.5) b.addAttribute('app.cart.items.count', I, String(Math.floor(rand() * 8)));
          break;
        }
        case 'db':
          b.addAttribute('db.system', S, 'postgresql');
          b.addAttribute('db.name', S, 'shop');
          b.addAttribute('db.statement', S, STATEMENTS[Math.floor(rand() * STATEMENTS.length)]!);
          b.addAttribute('db.operation', S, st.op.split(' ')[0]!);
          b.addAttribute('db.user', S, 'app');
          b.addAttribute('server.address', S, 'postgres');
          b.addAttribute('server.port', I, '5432');
          b.addAttribute('network.peer.address', S, '10.0.3.17');
          b.addAttribute('db.rows_affected', I, String(Math.floor(rand() * 50)));
          b.addAttribute('thread.id', I, String(1 + Math.floor(rand() * 16)));
          break;
        case 'cache':
          b.addAttribute('db.system', S, 'redis');
          b.addAttribute('db.statement', S, `GET cart:${userId}`);
          b.addAttribute('db.operation', S, 'GET');
          b.addAttribute('server.address', S, 'redis');
          b.addAttribute('server.port', I, '6379');
          b.addAttribute('network.peer.address', S, '10.0.4.2');
          b.addAttribute('db.redis.database_index', I, '0');
          b.addAttribute('app.cache.hit', AttributeType.Bool, rand() < 0.8 ? 'true' : 'false');
          break;
        default:
          b.addAttribute('code.function', S, 'renderPage');
          b.addAttribute('code.filepath', S, '/app/src/pages/render.ts');
          b.addAttribute('code.lineno', I, '118');
          b.addAttribute('app.template', S, 'product');
          b.addAttribute('app.user.id', S, userId);
          b.addAttribute('app.session.id', S, sessionId);
          b.addAttribute('app.product.id', S, productId);
          b.addAttribute('app.render.cached', AttributeType.Bool, rand() < 0.3 ? 'true' : 'false');
      }
      if (err && st.type === 'db') {
        b.addEvent({
          timeUnixNano: start[s]! + dur[s]!,
          name: 'exception',
          attributes: [
            ['exception.type', S, 'QueryTimeout'],
            ['exception.message', S, 'canceling statement due to statement timeout'],
          ],
        });
      }
      b.commitSpan();
    }
  }
  return b.finish();
}
