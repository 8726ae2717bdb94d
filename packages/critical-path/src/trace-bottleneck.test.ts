import { describe, expect, it } from 'vitest';
import { draw, nameAt } from '../test/draw.ts';
import { traceBottleneck } from './trace-bottleneck.ts';

describe('traceBottleneck', () => {
  //   0 api      |====================================|   0..100   server of `api`
  //   1 SELECT        |=======================|            10..70   client span of `api`, peer.service=orders-db
  //   2 redis                                   |===|      75..85   client span of `api`, db.system=redis
  //   exclusive on the path: orders-db 60, api 30, redis 10 → bottleneck: orders-db / SELECT, share 0.6
  it('attributes a leaf database call to the database and names its statement', () => {
    const table = draw([
      ['api', '', 0, 100, { service: 'api', operation: 'GET /orders', kind: 'server' }],
      [
        'select',
        'api',
        10,
        70,
        {
          service: 'api',
          operation: 'SELECT',
          kind: 'client',
          attributes: { 'db.system': 'mysql', 'peer.service': 'orders-db', 'db.statement': 'SELECT * FROM orders' },
        },
      ],
      [
        'redis',
        'api',
        75,
        85,
        { service: 'api', operation: 'GET', kind: 'client', attributes: { 'db.system': 'redis' } },
      ],
    ]);
    const b = traceBottleneck(table)!;
    expect(b).toMatchObject({
      service: 'orders-db',
      isDependency: true,
      operation: 'SELECT',
      exclusiveNano: 60_000,
      share: 0.6,
      totalNano: 100_000,
    });
    expect(nameAt(table, b.row)).toBe('select');
    expect(b.span).toMatchObject({ service: 'api', dbStatement: 'SELECT * FROM orders', kind: 'client' });
    expect(b.slowestDescendant).toBeUndefined();
  });

  //   0 front    |====================================|   0..100  frontend
  //   1 call        |==============================|      5..95   frontend client → cart
  //   2 cart          |==========================|        8..92   cart-7d9f8b5c4-x2k4p server (pod name)
  //   3 load              |==============|               20..60   cart internal
  //   cart owns 8..20 + 60..92 = 44, load 40 (also cart): bottleneck cart 84% with slowest descendant `load`
  it('folds pod names into their workload and names the slowest descendant', () => {
    const table = draw([
      ['front', '', 0, 100, { service: 'frontend' }],
      ['call', 'front', 5, 95, { service: 'frontend', kind: 'client', attributes: { 'peer.service': 'cart' } }],
      ['cart', 'call', 8, 92, { service: 'cart-7d9f8b5c4-x2k4p', operation: 'GET /cart' }],
      ['load', 'cart', 20, 60, { service: 'cart-7d9f8b5c4-x2k4p', operation: 'load' }],
    ]);
    const b = traceBottleneck(table)!;
    expect(b).toMatchObject({ service: 'cart', isDependency: false, operation: 'GET /cart', exclusiveNano: 84_000 });
    expect(nameAt(table, b.row)).toBe('cart');
    expect(b.slowestDescendant && nameAt(table, b.slowestDescendant.row)).toBe('load');
    expect(traceBottleneck(table, { groupPods: false })!.service).toBe('cart-7d9f8b5c4-x2k4p');
  });
});
