// order-service: places an order: reserves stock in inventory-service, charges through payment-service, and
// records the order in its own DuckDB database. POST /orders { user, items }.
import { randomUUID } from 'node:crypto';
import { CallError, callService, runServiceMain, serviceUrl } from '../lib/service.ts';
import { SqlDb } from '../lib/sql-db.ts';

await runServiceMain('order-service', async (faults) => {
  const inventory = serviceUrl('inventory-service');
  const payment = serviceUrl('payment-service');
  const db = await SqlDb.open('orders-db', faults);
  await db.setup('CREATE TABLE orders (id VARCHAR, customer VARCHAR, total_cents INTEGER, created TIMESTAMP)');
  return [
    {
      method: 'POST',
      path: '/orders',
      handler: async (req) => {
        const { user, items } = (req.body ?? {}) as { user?: string; items?: unknown[] };
        if (!user || !Array.isArray(items)) return { status: 400, body: { error: 'user and items required' } };
        const reserved = (await callService('inventory-service', inventory, '/reserve', {
          method: 'POST',
          body: { items },
        })) as { totalCents: number };
        try {
          await callService('payment-service', payment, '/charge', {
            method: 'POST',
            body: { user, amountCents: reserved.totalCents },
            timeoutMs: 4000,
          });
        } catch (err) {
          if (err instanceof CallError && err.status === 402)
            return { status: 402, body: { error: 'payment declined' } };
          throw err;
        }
        const id = randomUUID();
        await db.query('orders', 'INSERT INTO orders VALUES ($1, $2, $3, now())', [id, user, reserved.totalCents]);
        return { status: 201, body: { orderId: id, totalCents: reserved.totalCents } };
      },
    },
  ];
});
