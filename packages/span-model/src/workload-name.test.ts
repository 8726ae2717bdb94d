import { describe, expect, it } from 'vitest';
import { spanTableFromRows } from './records.ts';
import { workloadCodes, workloadName } from './workload-name.ts';

describe('workloadName', () => {
  it('folds Deployment and DaemonSet/Job pod names', () => {
    expect(workloadName('checkout-7d9f8b5c4-x2k4p')).toBe('checkout');
    expect(workloadName('ts-order-service-5d8f7c9b6-abc12')).toBe('ts-order-service');
    expect(workloadName('payment-service-c40371d7-f7g9q')).toBe('payment-service');
    expect(workloadName('cart-2-0a3f91c2-bx7qz')).toBe('cart-2');
    expect(workloadName('node-exporter-7x2k9')).toBe('node-exporter');
  });

  it('keeps names that only look like pods', () => {
    expect(workloadName('frontend-proxy')).toBe('frontend-proxy');
    expect(workloadName('order-service')).toBe('order-service');
    expect(workloadName('service-frontend-proxy')).toBe('service-frontend-proxy');
    expect(workloadName('user-profile-cache')).toBe('user-profile-cache');
    expect(workloadName('api-v2')).toBe('api-v2');
    expect(workloadName('checkout')).toBe('checkout');
    expect(workloadName('')).toBe('');
  });

  it('folds StatefulSet ordinals only when asked', () => {
    expect(workloadName('redis-0')).toBe('redis-0');
    expect(workloadName('cart-2')).toBe('cart-2');
    expect(workloadName('redis-0', { statefulSetOrdinals: true })).toBe('redis');
    expect(workloadName('kafka-12', { statefulSetOrdinals: true })).toBe('kafka');
  });
});

describe('workloadCodes', () => {
  const BASE = 1_700_000_000_000_000_000n;
  const span = (id: number, service: string) => ({
    traceId: '1'.padStart(32, '0'),
    spanId: id.toString(16).padStart(16, '0'),
    service,
    operation: 'op',
    startUnixNano: BASE,
    durationNano: 1_000n,
  });

  it('gives the pods of one workload one code, in first-appearance order', () => {
    const table = spanTableFromRows([
      span(1, 'cart-7d9f8b5c4-x2k4p'),
      span(2, 'api'),
      span(3, 'cart-7d9f8b5c4-q8w2z'),
      span(4, 'cart-2'),
    ]);
    const services = table.dict('service');
    const { codeOfService, names } = workloadCodes(table);
    const perRow = [0, 1, 2, 3].map((r) => names[codeOfService[services.codes[r]!]!]);
    expect(perRow).toEqual(['cart', 'api', 'cart', 'cart-2']);
    expect(codeOfService.length).toBe(services.values.length);
    expect(new Set(names).size).toBe(names.length);
    expect(names).toHaveLength(services.values.length - 1);
  });

  it('maps every code to itself when no name is a pod name', () => {
    const table = spanTableFromRows([span(1, 'api'), span(2, 'db')]);
    expect([...workloadCodes(table).codeOfService]).toEqual(table.dict('service').values.map((_, i) => i));
  });
});
