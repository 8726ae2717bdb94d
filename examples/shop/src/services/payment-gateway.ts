// payment-gateway: a stand-in for an external card processor (the third party payment-service calls).
// POST /v1/charges { amountCents } → { id, status } after 20–60 ms of "processing"; amounts over 50,000 are declined (402).
import { randomUUID } from 'node:crypto';
import { runServiceMain, sleep } from '../lib/service.ts';

await runServiceMain('payment-gateway', () => [
  {
    method: 'POST',
    path: '/v1/charges',
    handler: async (req) => {
      const amount = Number((req.body as { amountCents?: unknown } | undefined)?.amountCents);
      if (!Number.isFinite(amount) || amount <= 0) return { status: 400, body: { error: 'amountCents required' } };
      await sleep(20 + Math.random() * 40);
      if (amount > 50_000) return { status: 402, body: { error: 'card_declined' } };
      return { status: 201, body: { id: `ch_${randomUUID()}`, status: 'succeeded' } };
    },
  },
]);
