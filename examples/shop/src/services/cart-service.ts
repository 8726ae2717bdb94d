// cart-service: the cart of each user, kept in an LRU cache (traced cache client spans). GET/DELETE /carts/:user.
import { LruCache } from '../lib/lru-cache.ts';
import { runServiceMain } from '../lib/service.ts';

interface Cart {
  user: string;
  items: { sku: string; qty: number }[];
}

/** A user's cart when the cache has none: a deterministic pick of 1–3 catalogue items. */
function freshCart(user: string): Cart {
  let h = 0;
  for (const ch of user) h = (h * 31 + ch.charCodeAt(0)) >>> 0;
  const n = 1 + (h % 3);
  const items = Array.from({ length: n }, (_, i) => ({
    sku: `SKU-${String((h >>> (i * 4)) % 500).padStart(4, '0')}`,
    qty: 1 + (i % 2),
  }));
  return { user, items };
}

await runServiceMain('cart-service', (faults) => {
  const cache = new LruCache<Cart>('cart-cache', 10_000, 60_000, faults);
  return [
    {
      method: 'GET',
      path: '/carts/:user',
      handler: async (req) => {
        const user = req.params.user as string;
        let cart = await cache.get(user);
        if (!cart) {
          cart = freshCart(user);
          await cache.set(user, cart);
        }
        return { status: 200, body: cart };
      },
    },
    {
      method: 'DELETE',
      path: '/carts/:user',
      handler: async (req) => {
        await cache.delete(req.params.user as string);
        return { status: 200, body: { deleted: true } };
      },
    },
  ];
});
