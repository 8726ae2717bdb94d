// ClickHouse URIs, cluster DDL and connection errors (no server needed).
import { describe, expect, it } from 'vitest';
import { createStatements } from '../src/clickhouse/internal/ddl.ts';
import { isClickHouseError, openClickHouseStore, parseClickHouseUri } from '../src/index.ts';

describe('parseClickHouseUri', () => {
  it('splits credentials, database and table from the server URL', () => {
    expect(parseClickHouseUri('clickhouse://reader:p%40ss@ch.internal:8123/otel?table=spans')).toEqual({
      url: 'http://ch.internal:8123',
      username: 'reader',
      password: 'p@ss',
      database: 'otel',
      table: 'spans',
    });
    expect(parseClickHouseUri('clickhouses://ch')).toEqual({
      url: 'https://ch:8443',
      username: 'default',
      password: '',
    });
    expect(parseClickHouseUri('clickhouse://ch:9000/db?secure=1').url).toBe('https://ch:9000');
  });

  it('rejects other schemes without echoing the password', () => {
    expect(() => parseClickHouseUri('http://u:secret@ch:8123')).toThrow(/expected clickhouse:\/\//);
    try {
      parseClickHouseUri('http://u:secret@ch:8123');
    } catch (err) {
      expect(String(err)).not.toContain('secret');
    }
  });
});

describe('cluster DDL', () => {
  it('adds ON CLUSTER, the engine, TTL, and Distributed tables over local tables', () => {
    const sql = createStatements({
      database: 'otel',
      table: 'otel_traces',
      cluster: 'prod',
      engine: 'ReplicatedMergeTree',
      ttlDays: 7,
      distributed: true,
    });
    expect(sql).toHaveLength(6);
    expect(sql[0]).toBe('CREATE DATABASE IF NOT EXISTS `otel` ON CLUSTER `prod`');
    expect(sql[1]).toMatch(/^CREATE TABLE IF NOT EXISTS `otel`.`otel_traces_local` ON CLUSTER `prod` \(/);
    expect(sql[1]).toContain('ENGINE = ReplicatedMergeTree\nPARTITION BY toDate(Timestamp)');
    expect(sql[1]).toContain('TTL toDateTime(Timestamp) + toIntervalDay(7)');
    expect(sql[3]).toContain('TO `otel`.`otel_traces_local_trace_id_ts`');
    expect(sql[3]).toContain('FROM `otel`.`otel_traces_local`');
    expect(sql[4]).toBe(
      'CREATE TABLE IF NOT EXISTS `otel`.`otel_traces` ON CLUSTER `prod` AS `otel`.`otel_traces_local`\n' +
        'ENGINE = Distributed(`prod`, `otel`, `otel_traces_local`, cityHash64(TraceId))',
    );
    expect(sql[5]).toContain(
      '`otel`.`otel_traces_trace_id_ts` ON CLUSTER `prod` AS `otel`.`otel_traces_local_trace_id_ts`',
    );
  });

  it('refuses a distributed store without a cluster', () => {
    expect(() => createStatements({ database: 'd', table: 't', distributed: true })).toThrow(RangeError);
  });
});

describe('openClickHouseStore over HTTP', () => {
  it('reports an unreachable server with the URL and without the password', async () => {
    const err = await openClickHouseStore('clickhouse://aiops:hunter2@127.0.0.1:1/otel', { timeoutMs: 2000 }).catch(
      (e: unknown) => e,
    );
    expect(isClickHouseError(err) && err.code).toBe('unreachable');
    expect((err as Error).message).toContain('http://127.0.0.1:1 otel.otel_traces');
    expect((err as Error).message).not.toContain('hunter2');
  });
});
