import { spanTableFromRows } from '@aiops/span-model';
import { describe, expect, it } from 'vitest';
import { renderComparisonHtml, renderDependencyHtml, renderTraceHtml } from './index.ts';
import { escapeHtml, jsonForScript, scriptForInline } from './internal/escape.ts';

const EVIL = '</script><script>alert(1)</script><img src=x onerror=alert(2)>';

//   1 evil-svc </script>…   |====================|  0..10 ms   (attribute, status message and event carry EVIL too)
const table = spanTableFromRows([
  {
    traceId: 'ab'.repeat(16),
    spanId: '01'.repeat(8),
    service: `svc ${EVIL}`,
    operation: `op ${EVIL}`,
    startUnixNano: 1_700_000_000_000_000_000n,
    durationNano: 10_000_000n,
    statusCode: 'error',
    statusMessage: EVIL,
    attributes: { [`key ${EVIL}`]: EVIL },
    events: [{ timeUnixNano: 1_700_000_000_005_000_000n, name: EVIL, attributes: { 'exception.message': EVIL } }],
  },
]);

/** The page with the bundled echarts and our client code removed: only what we generated from data is left. */
function generatedParts(html: string): string {
  return html.replace(/<script>[\s\S]*?<\/script>/g, '<script>…</script>');
}

describe('escaping', () => {
  it('escapes the five HTML metacharacters', () => {
    expect(escapeHtml(`<a href="x" title='y'>&</a>`)).toBe(
      '&lt;a href=&quot;x&quot; title=&#39;y&#39;&gt;&amp;&lt;/a&gt;',
    );
  });

  it('writes JSON that cannot close its script element and still parses to the same value', () => {
    const value = { s: EVIL, t: 'a\u2028b & c' };
    const json = jsonForScript(value);
    expect(json).not.toMatch(/[<>&\u2028]/);
    expect(JSON.parse(json)).toEqual(value);
  });

  it('neutralises </script and <!-- in inlined scripts', () => {
    expect(scriptForInline('x = "</SCRIPT>"; // <!--')).toBe('x = "<\\/SCRIPT>"; // <\\!--');
  });

  it('never lets span names, attributes, events or notes into the trace page as markup', () => {
    const html = renderTraceHtml(table, { notes: [EVIL] }, { title: EVIL });
    const parts = generatedParts(html);
    expect(parts).not.toContain('<script>alert');
    expect(parts).not.toContain('<img');
    expect(parts).toContain('&lt;/script&gt;&lt;script&gt;alert(1)');
    // Exactly our own script elements: start mark, data, echarts, client.
    expect(html.match(/<script/g)?.length).toBe(4);
    expect(html.match(/<\/script>/g)?.length).toBe(4);
    const data = html.match(/<script type="application\/json" id="aiops-data">([\s\S]*?)<\/script>/)![1]!;
    const parsed = JSON.parse(data);
    expect(parsed.trace.services).toEqual([`svc ${EVIL}`]);
    expect(parsed.trace.attrKeys).toEqual([`key ${EVIL}`]);
    expect(parsed.trace.attrV).toEqual([EVIL]);
  });

  it('escapes names in the dependency and comparison pages', () => {
    const deps = renderDependencyHtml({
      services: [{ name: EVIL, kind: 'service', calls: 1, errorRate: 0, p50Ms: 1, p95Ms: 1, p99Ms: 1 }],
      edges: [{ from: EVIL, to: 'db', calls: 1, errorRate: 0, p50Ms: 1, p95Ms: 1, p99Ms: 1 }],
      criticalPaths: [{ entry: EVIL, path: [EVIL, 'db'], p99Ms: 1, bottleneck: EVIL, share: 1 }],
      singlePointsOfFailure: [{ service: EVIL, dependents: 1, endpointsAffected: 1 }],
    });
    expect(generatedParts(deps)).not.toContain('<img');
    expect(deps.match(/<script/g)?.length).toBe(4);
    const cmp = renderComparisonHtml({
      normal: table,
      abnormal: table,
      diff: {
        durationDiffMs: 0,
        added: [{ service: EVIL, operation: EVIL }],
        removed: [],
        changed: [{ service: EVIL, operation: EVIL, normalMs: 1, abnormalMs: 2, diffMs: 1, share: 1 }],
        statusChanges: [{ note: EVIL }],
        attributeChanges: [],
        hypotheses: [{ text: EVIL, confidence: 0.5, evidence: [EVIL] }],
      },
    });
    expect(generatedParts(cmp)).not.toContain('<img');
    expect(cmp.match(/<script/g)?.length).toBe(4);
  });
});
