// Realistic names for generated topologies: services, routes, SQL statements, user agents, external APIs.

/** Application service names, in the order they are handed out (index 0 is the entry service). */
export const SERVICE_NAMES: readonly string[] = [
  'frontend',
  'auth-service',
  'cart-service',
  'catalog-service',
  'inventory-service',
  'order-service',
  'payment-service',
  'shipping-service',
  'pricing-service',
  'user-service',
  'recommendation-service',
  'search-service',
  'review-service',
  'currency-service',
  'notification-service',
  'fraud-service',
  'loyalty-service',
  'tax-service',
  'session-service',
  'profile-service',
  'wishlist-service',
  'coupon-service',
  'warehouse-service',
  'billing-service',
  'ad-service',
  'media-service',
  'config-service',
  'email-service',
  'invoice-service',
  'analytics-service',
  'geo-service',
  'rating-service',
  'promotion-service',
  'delivery-service',
  'audit-service',
  'feature-flag-service',
  'returns-service',
  'subscription-service',
  'gift-card-service',
  'customer-service',
];

/** Low-traffic entry services (admin tools and batch jobs). */
export const LOW_TRAFFIC_NAMES: readonly string[] = [
  'admin-portal',
  'report-batch',
  'partner-api',
  'ops-console',
  'data-export',
];

/** Frontend entry endpoints: method and route. */
export const ENTRY_ROUTES: readonly (readonly [string, string])[] = [
  ['GET', '/'],
  ['GET', '/api/products/{productId}'],
  ['POST', '/api/checkout'],
  ['GET', '/api/cart'],
  ['POST', '/api/cart/items'],
  ['GET', '/api/search'],
  ['GET', '/api/orders/{orderId}'],
  ['POST', '/api/login'],
  ['GET', '/api/recommendations'],
  ['GET', '/api/account/profile'],
  ['PUT', '/api/account/address'],
  ['GET', '/api/shipping/quote'],
];

/** Route templates per resource: `{r}` is the resource name. */
export const ROUTE_TEMPLATES: readonly (readonly [string, string])[] = [
  ['GET', '/api/v1/{r}/{id}'],
  ['GET', '/api/v1/{r}'],
  ['POST', '/api/v1/{r}'],
  ['PUT', '/api/v1/{r}/{id}'],
  ['GET', '/api/v1/{r}/{id}/details'],
  ['POST', '/api/v1/{r}/{id}/validate'],
  ['GET', '/internal/{r}/batch'],
  ['DELETE', '/api/v1/{r}/{id}'],
];

/** Database systems with their default ports. */
export const DB_SYSTEMS: readonly (readonly [string, number])[] = [
  ['postgresql', 5432],
  ['mysql', 3306],
  ['postgresql', 5432],
  ['mongodb', 27017],
];

/** Table names used for generated SQL statements. */
export const TABLES: readonly string[] = [
  'orders',
  'order_items',
  'products',
  'inventory',
  'users',
  'payments',
  'shipments',
  'reviews',
  'carts',
  'cart_items',
  'prices',
  'coupons',
  'invoices',
  'addresses',
  'sessions',
  'events',
];

/** Statement shapes: operation and SQL text with `{t}` for the table. */
export const SQL_SHAPES: readonly (readonly [string, string])[] = [
  [
    'SELECT',
    'SELECT id, customer_id, status, total_cents, currency, created_at, updated_at FROM {t} WHERE customer_id = $1 AND status = ANY($2) ORDER BY created_at DESC LIMIT 50',
  ],
  ['SELECT', 'SELECT * FROM {t} WHERE id = $1'],
  [
    'SELECT',
    'SELECT t.id, t.sku, t.quantity, p.name, p.price_cents FROM {t} t JOIN products p ON p.id = t.product_id WHERE t.owner_id = $1',
  ],
  ['INSERT', 'INSERT INTO {t} (id, owner_id, payload, status, created_at) VALUES ($1, $2, $3, $4, now()) RETURNING id'],
  ['UPDATE', 'UPDATE {t} SET status = $1, updated_at = now(), version = version + 1 WHERE id = $2 AND version = $3'],
  ['SELECT', "SELECT count(*) FROM {t} WHERE created_at > now() - interval '1 day' AND tenant_id = $1"],
  ['DELETE', 'DELETE FROM {t} WHERE expires_at < now() AND tenant_id = $1'],
];

/** Browser and client user agents. */
export const USER_AGENTS: readonly string[] = [
  'Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/124.0.0.0 Safari/537.36',
  'Mozilla/5.0 (Macintosh; Intel Mac OS X 14_4_1) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.4.1 Safari/605.1.15',
  'Mozilla/5.0 (iPhone; CPU iPhone OS 17_4 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Mobile/15E148',
  'Mozilla/5.0 (X11; Linux x86_64; rv:125.0) Gecko/20100101 Firefox/125.0',
  'Mozilla/5.0 (Linux; Android 14; Pixel 8) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/124.0.6367.82 Mobile Safari/537.36',
  'okhttp/4.12.0',
  'python-requests/2.31.0',
];

/** External APIs: peer.service, host, method, path. */
export const EXTERNAL_APIS: readonly (readonly [string, string, string, string])[] = [
  ['payments-gateway', 'api.payments-gateway.example.com', 'POST', '/v1/charges'],
  ['geocoding-api', 'maps.geocoding.example.net', 'GET', '/v2/geocode/json'],
  ['email-provider', 'api.mail-provider.example.org', 'POST', '/v3/mail/send'],
  ['fx-rates-api', 'rates.fx-provider.example.com', 'GET', '/latest'],
  ['tax-api', 'api.tax-provider.example.com', 'POST', '/v1/transactions/calculate'],
  ['fraud-score-api', 'score.fraud-provider.example.io', 'POST', '/v2/score'],
];

/** Kafka topics. */
export const TOPICS: readonly string[] = [
  'orders.created',
  'payments.completed',
  'inventory.reserved',
  'shipments.dispatched',
  'users.registered',
  'reviews.submitted',
  'carts.abandoned',
  'invoices.issued',
];

/** Internal-span names by verb. */
export const INTERNAL_VERBS: readonly string[] = ['validate', 'serialize', 'render', 'compute', 'authorize', 'map'];

/** The base word of a service name: `cart-service` → `cart`. */
export function baseOf(service: string): string {
  return service.replace(/-(service|api|portal|batch|console)$/, '');
}

/** The resource word of a service name: `cart-service` → `carts`. */
export function resourceOf(service: string): string {
  const base = service.replace(/-(service|api|portal|batch|console)$/, '');
  if (base.endsWith('s')) return base;
  if (/[^aeiou]y$/.test(base)) return `${base.slice(0, -1)}ies`;
  return `${base}s`;
}

const ALPHA = 'bcdfghjklmnpqrstvwxz2456789';

/** A Kubernetes-like pod name suffix from two random numbers: `7d9f8b5c4-x2k4p`. */
export function podSuffix(a: number, b: number): string {
  let rs = (a >>> 0)
    .toString(16)
    .padStart(8, '0')
    .slice(0, 9 - (a & 1));
  if (rs.length < 8) rs = rs.padEnd(8, '4');
  let id = '';
  let x = b >>> 0;
  for (let i = 0; i < 5; i++) {
    id += ALPHA[x % ALPHA.length];
    x = Math.floor(x / ALPHA.length);
  }
  return `${rs}-${id}`;
}

/** A Java-like stack trace of realistic size for exception events. */
export function stackTraceOf(service: string, route: string, exceptionType: string): string {
  const pkg = service.replace(/-/g, '');
  return [
    `${exceptionType}: request failed for ${route}`,
    `    at com.shop.${pkg}.api.Controller.handle(Controller.java:142)`,
    `    at com.shop.${pkg}.api.Controller$$FastClassBySpringCGLIB.invoke(<generated>)`,
    '    at org.springframework.cglib.proxy.MethodProxy.invoke(MethodProxy.java:218)',
    '    at org.springframework.aop.framework.CglibAopProxy$CglibMethodInvocation.invokeJoinpoint(CglibAopProxy.java:793)',
    `    at com.shop.${pkg}.service.DomainService.execute(DomainService.java:88)`,
    '    at org.springframework.web.servlet.FrameworkServlet.service(FrameworkServlet.java:885)',
    '    at jakarta.servlet.http.HttpServlet.service(HttpServlet.java:658)',
    '    ... 48 more',
  ].join('\n');
}
