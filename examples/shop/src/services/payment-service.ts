// payment-service: charges a user through the external payment gateway. POST /charge { user, amountCents }.
import { CallError, callService, runServiceMain, serviceUrl } from '../lib/service.ts';

await runServiceMain('payment-service', () => {
  const gateway = serviceUrl('payment-gateway');
  return [
    {
      method: 'POST',
      path: '/charge',
      handler: async (req) => {
        const { user, amountCents } = (req.body ?? {}) as { user?: string; amountCents?: number };
        if (!user || !amountCents) return { status: 400, body: { error: 'user and amountCents required' } };
        try {
          const charge = await callService('payment-gateway', gateway, '/v1/charges', {
            method: 'POST',
            body: { amountCents, customer: user },
            timeoutMs: 3000,
          });
          return { status: 200, body: charge };
        } catch (err) {
          // A decline is the customer's problem (402), anything else is ours.
          if (err instanceof CallError && err.status === 402) return { status: 402, body: { error: 'card declined' } };
          throw err;
        }
      },
    },
  ];
});
