// Session tokens of the shop: `<user>.<hmac-sha256>`, signed with SHOP_AUTH_SECRET (a demo secret by default).
import { createHmac, timingSafeEqual } from 'node:crypto';

const secret = (): string => process.env.SHOP_AUTH_SECRET ?? 'example-shop-demo-secret';

/** The token the load generator sends for `user`. */
export function tokenFor(user: string): string {
  return `${user}.${createHmac('sha256', secret()).update(user).digest('hex')}`;
}

/** The user of a valid token, or undefined. */
export function userOfToken(token: string): string | undefined {
  const dot = token.lastIndexOf('.');
  if (dot <= 0) return undefined;
  const user = token.slice(0, dot);
  const want = Buffer.from(tokenFor(user).slice(dot + 1), 'hex');
  const got = Buffer.from(token.slice(dot + 1), 'hex');
  return got.length === want.length && timingSafeEqual(got, want) ? user : undefined;
}
