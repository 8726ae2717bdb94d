import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCli } from './run-cli.ts';

const FIXTURES = path.resolve(import.meta.dirname, '../../ingest/test/fixtures');
let dir: string;
let store: string;

beforeAll(async () => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'aiops-cli-'));
  store = path.join(dir, 'store');
});
afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

describe('aiops import', () => {
  it('imports the AC1 trace in all three formats as one trace of 8 spans', async () => {
    const r = await runCli(['import', path.join(FIXTURES, 'ac1'), '--store', store, '--json']);
    expect(r.code).toBe(0);
    const doc = JSON.parse(r.stdout);
    expect(doc.totals.files).toBe(3);
    expect(doc.totals.traces).toBe(1);
    expect(doc.totals.spans).toBe(24);
    expect(doc.totals.inserted).toBe(8);
    expect(doc.totals.duplicates).toBe(16);
    expect(doc.totals.services).toHaveLength(5);
  });

  it('keeps the valid files and names the broken ones, exiting 2', async () => {
    const s = path.join(dir, 'mixed');
    const r = await runCli([
      'import',
      path.join(FIXTURES, 'invalid', 'trace_invalid_json.json'),
      path.join(FIXTURES, 'zipkin', 'yelp.json'),
      '--store',
      s,
    ]);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('trace_invalid_json.json');
    expect(r.stdout).toContain('yelp.json (zipkin): 1 traces, 16 spans');
    expect(r.stderr).not.toMatch(/\n\s+at /);
  });

  it('rejects an unknown --format as a usage error', async () => {
    const r = await runCli(['import', 'x.json', '--format', 'xml', '--store', store]);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('--format: "xml" is not one of');
  });
});

describe('aiops trace', () => {
  it('shows the complete tree with the bottleneck, in JSON', async () => {
    const ids = await runCli(['search-traces', '--store', store, '--json']);
    const trace = JSON.parse(ids.stdout).traces[0];
    const r = await runCli(['trace', '--trace-id', trace.traceId.toUpperCase(), '--store', store, '--json']);
    expect(r.code).toBe(0);
    const doc = JSON.parse(r.stdout);
    expect(doc.traceId).toBe(trace.traceId);
    expect(doc.spanCount).toBe(8);
    expect(doc.serviceCount).toBe(5);
    expect(doc.spans).toHaveLength(8);
    expect(doc.spans[0].parentSpanId).toBe('');
    expect(doc.spans.slice(1).every((s: { parentSpanId: string }) => s.parentSpanId.length === 16)).toBe(true);
    expect(typeof doc.spans[0].startTimeUnixNano).toBe('string');
    expect(doc.bottleneck.share).toBeGreaterThan(0);
    expect(doc.criticalPath.length).toBeGreaterThan(0);
    const pathSum = doc.criticalPath.reduce((s: number, c: { exclusiveMs: number }) => s + c.exclusiveMs, 0);
    expect(pathSum).toBeCloseTo(doc.durationMs, 2);
    expect(doc.issues).toEqual({ orphans: [], clockSkew: [], duplicateSpanIds: [], cycles: [] });
  });

  it('prints the panel sections in English and in Chinese', async () => {
    const ids = JSON.parse((await runCli(['search-traces', '--store', store, '--json'])).stdout);
    const id = ids.traces[0].traceId;
    const en = await runCli(['trace', id, '--store', store]);
    expect(en.code).toBe(0);
    for (const h of ['Call tree', 'Bottleneck', 'Suggestions', 'Statistics']) expect(en.stdout).toContain(h);
    expect(en.stdout).not.toContain('\u001b[');
    const zh = await runCli(['trace', id, '--store', store, '--lang', 'zh']);
    for (const h of ['调用树', '性能瓶颈', '统计信息']) expect(zh.stdout).toContain(h);
  });

  it('says clearly when a trace is unknown (exit 1) or the id is malformed (exit 2)', async () => {
    const missing = await runCli(['trace', '--trace-id', 'abcdef0123456789', '--store', store]);
    expect(missing.code).toBe(1);
    expect(missing.stderr).toContain('trace 0000000000000000abcdef0123456789 not found');
    const bad = await runCli(['trace', '--trace-id', 'xyz', '--store', store, '--json']);
    expect(bad.code).toBe(2);
    expect(JSON.parse(bad.stdout).error.code).toBe('usage');
  });
});

describe('aiops search-traces', () => {
  it('filters by service and minimum duration', async () => {
    const all = JSON.parse((await runCli(['search-traces', '--store', store, '--json'])).stdout);
    const t = all.traces[0];
    const svc = t.services[t.services.length - 1];
    const hit = await runCli(['search-traces', '--store', store, '--service', svc, '--json']);
    expect(JSON.parse(hit.stdout).traces.map((x: { traceId: string }) => x.traceId)).toEqual([t.traceId]);
    const none = await runCli(['search-traces', '--store', store, '--min-duration', '1h', '--json']);
    expect(none.code).toBe(1);
    expect(JSON.parse(none.stdout).traces).toEqual([]);
  });

  it('explains a bad duration', async () => {
    const r = await runCli(['search-traces', '--store', store, '--min-duration', 'fast']);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('--min-duration: "fast" is not a duration');
  });
});

describe('aiops --help', () => {
  it('lists the commands and each command has examples', async () => {
    const r = await runCli(['--help']);
    expect(r.code).toBe(0);
    expect(r.stdout).toContain('search-traces');
    const h = await runCli(['trace', '--help']);
    expect(h.stdout).toContain('Examples:');
    expect(h.stdout).toContain('JSON output (--json):');
  });

  it('rejects unknown options with exit 2 and no stack trace', async () => {
    const r = await runCli(['trace', '--bogus']);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain("Unknown option '--bogus'");
  });
});

describe('aiops visualize-trace', () => {
  it('writes a self-contained page and prints its path', async () => {
    const out = path.join(dir, 'page', 'trace.html');
    const r = await runCli(['visualize-trace', 'a1b2c3d4e5f60718293a4b5c6d7e8f90', '--store', store, '--output', out]);
    expect(r.code).toBe(0);
    expect(r.stdout.trim()).toBe(out);
    const html = fs.readFileSync(out, 'utf8');
    expect(html).toContain('a1b2c3d4e5f60718293a4b5c6d7e8f90');
    expect(html).not.toMatch(/<script[^>]+src=/);
  });
});
