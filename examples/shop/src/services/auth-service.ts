// auth-service: verifies session tokens. GET /verify with `Authorization: Bearer <token>` → { user } or 401.
import { userOfToken } from '../lib/auth-token.ts';
import { runServiceMain } from '../lib/service.ts';

await runServiceMain('auth-service', () => [
  {
    method: 'GET',
    path: '/verify',
    handler: async (req) => {
      const header = String(req.headers.authorization ?? '');
      const user = header.startsWith('Bearer ') ? userOfToken(header.slice(7)) : undefined;
      return user ? { status: 200, body: { user } } : { status: 401, body: { error: 'invalid token' } };
    },
  },
]);
