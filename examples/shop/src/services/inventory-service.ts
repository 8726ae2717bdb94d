// inventory-service: the product catalogue and stock in an embedded DuckDB database (traced query spans).
// GET /products/:sku → product; POST /reserve { items: [{ sku, qty }] } → reserved, or 409 when out of stock.
import { runServiceMain } from '../lib/service.ts';
import { SqlDb } from '../lib/sql-db.ts';

await runServiceMain('inventory-service', async (faults) => {
  const db = await SqlDb.open('inventory-db', faults);
  await db.setup(`CREATE TABLE stock (sku VARCHAR PRIMARY KEY, name VARCHAR, price_cents INTEGER, qty INTEGER)`);
  await db.setup(`INSERT INTO stock SELECT 'SKU-' || lpad(i::VARCHAR, 4, '0'), 'Product ' || i, 199 + (i * 37) % 9000, 1000
                  FROM range(500) t(i)`);
  return [
    {
      method: 'GET',
      path: '/products/:sku',
      handler: async (req) => {
        const rows = await db.query('stock', 'SELECT sku, name, price_cents, qty FROM stock WHERE sku = $1', [
          req.params.sku as string,
        ]);
        return rows[0] ? { status: 200, body: rows[0] } : { status: 404, body: { error: 'unknown product' } };
      },
    },
    {
      method: 'POST',
      path: '/reserve',
      handler: async (req) => {
        const items = (req.body as { items?: { sku: string; qty: number }[] } | undefined)?.items;
        if (!Array.isArray(items) || items.length === 0) return { status: 400, body: { error: 'items required' } };
        let totalCents = 0;
        for (const item of items) {
          const rows = await db.query(
            'stock',
            'UPDATE stock SET qty = CASE WHEN qty - $2 < 10 THEN 1000 ELSE qty - $2 END WHERE sku = $1 AND qty >= $2 RETURNING price_cents',
            [item.sku, item.qty],
          );
          if (!rows[0]) return { status: 409, body: { error: `out of stock: ${item.sku}` } };
          totalCents += Number(rows[0].price_cents) * item.qty;
        }
        return { status: 200, body: { reserved: items.length, totalCents } };
      },
    },
  ];
});
