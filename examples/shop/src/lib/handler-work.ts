// Per-request CPU work for benchmarks: `SHOP_HANDLER_WORK=n` makes every routed request of a service render and
// re-parse a product page `n` times (plain JS: object building, JSON.stringify, JSON.parse), so that the overhead
// benchmark can show what the instrumentation costs a service that does real work, not only one that forwards calls.
// Off (0) by default; the shop's answers do not change.

const ITEMS = Array.from({ length: 24 }, (_, i) => ({
  sku: `SKU-${String(i).padStart(4, '0')}`,
  name: `Product ${i}`,
  priceCents: 199 + i * 37,
  tags: ['shop', i % 2 ? 'odd' : 'even'],
}));

/** Render passes per request, from `SHOP_HANDLER_WORK` (default 0: no extra work). */
export function handlerWorkFromEnv(env: NodeJS.ProcessEnv = process.env): number {
  const raw = env.SHOP_HANDLER_WORK;
  if (raw === undefined || raw === '') return 0;
  const n = Number(raw);
  if (!Number.isInteger(n) || n < 0)
    throw new TypeError(`example-shop: SHOP_HANDLER_WORK must be a whole number ≥ 0, got "${raw}"`);
  return n;
}

/** Renders and re-parses a 24-item page `passes` times; returns a checksum so that the work cannot be skipped. */
export function doHandlerWork(passes: number, seed: number): number {
  let sum = 0;
  for (let p = 0; p < passes; p++) {
    const page = { page: p, seed, items: ITEMS.map((it) => ({ ...it, qty: (seed + p) % 7 })) };
    const text = JSON.stringify(page);
    const back = JSON.parse(text) as { items: { priceCents: number; qty: number }[] };
    for (const it of back.items) sum += it.priceCents * it.qty;
    sum += text.length;
  }
  return sum;
}
