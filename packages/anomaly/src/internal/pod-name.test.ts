import { describe, expect, it } from 'vitest';
import { workloadName } from './pod-name.ts';

describe('workloadName', () => {
  it('folds Deployment, DaemonSet and StatefulSet pod names', () => {
    expect(workloadName('checkout-7d9f8b5c4-x2k4p')).toBe('checkout');
    expect(workloadName('ts-order-service-5d8f7c9b6-abc12')).toBe('ts-order-service');
    expect(workloadName('payment-service-c40371d7-f7g9q')).toBe('payment-service');
    expect(workloadName('node-exporter-7x2k9')).toBe('node-exporter');
    expect(workloadName('redis-0')).toBe('redis');
  });
  it('keeps names that only look like pods', () => {
    expect(workloadName('frontend-proxy')).toBe('frontend-proxy');
    expect(workloadName('order-service')).toBe('order-service');
    expect(workloadName('service-frontend-proxy')).toBe('service-frontend-proxy');
    expect(workloadName('api-v2')).toBe('api-v2');
  });
});
