// frontend-gateway: the shop's public API. Authenticates, fans out to the other services, and puts the user and
// client into W3C baggage so every downstream service sees them.
//   GET  /api/products/:sku        → inventory-service
//   GET  /api/cart                 → auth-service, cart-service
//   POST /api/checkout             → auth-service, cart-service, order-service (→ inventory, payment), cart-service
import { context, propagation } from '@opentelemetry/api';
import { callService, runServiceMain, type ShopRequest, serviceUrl } from '../lib/service.ts';

await runServiceMain('frontend-gateway', () => {
  const auth = serviceUrl('auth-service');
  const cart = serviceUrl('cart-service');
  const inventory = serviceUrl('inventory-service');
  const orders = serviceUrl('order-service');

  /** Verifies the caller and runs `fn` with `user.id` and `shop.client` in the baggage. */
  const asUser = async <T>(req: ShopRequest, fn: (user: string) => Promise<T>): Promise<T> => {
    const authorization = String(req.headers.authorization ?? '');
    const { user } = (await callService('auth-service', auth, '/verify', { headers: { authorization } })) as {
      user: string;
    };
    const incoming = propagation.getBaggage(context.active()) ?? propagation.createBaggage();
    const baggage = incoming
      .setEntry('user.id', { value: user })
      .setEntry('shop.client', { value: String(req.headers['user-agent'] ?? 'unknown') });
    return context.with(propagation.setBaggage(context.active(), baggage), () => fn(user));
  };

  return [
    {
      method: 'GET',
      path: '/api/products/:sku',
      handler: async (req) => ({
        status: 200,
        body: await callService(
          'inventory-service',
          inventory,
          `/products/${encodeURIComponent(req.params.sku as string)}`,
        ),
      }),
    },
    {
      method: 'GET',
      path: '/api/cart',
      handler: (req) =>
        asUser(req, async (user) => ({ status: 200, body: await callService('cart-service', cart, `/carts/${user}`) })),
    },
    {
      method: 'POST',
      path: '/api/checkout',
      handler: (req) =>
        asUser(req, async (user) => {
          const { items } = (await callService('cart-service', cart, `/carts/${user}`)) as { items: unknown[] };
          const order = await callService('order-service', orders, '/orders', {
            method: 'POST',
            body: { user, items },
            timeoutMs: 6000,
          });
          await callService('cart-service', cart, `/carts/${user}`, { method: 'DELETE' });
          return { status: 201, body: order };
        }),
    },
  ];
});
