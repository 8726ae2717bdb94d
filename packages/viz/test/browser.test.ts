// Opens the generated pages in Debian's headless Chromium (playwright-core) and checks what is drawn and how it reacts.
import { existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { type BrowserContext, chromium, type Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { renderComparisonHtml, renderDependencyHtml, renderTraceHtml } from '../src/index.ts';
import { checkoutTrace, largeTrace } from './fixtures.ts';

const CHROMIUM = '/usr/bin/chromium';
const OUT = join(dirname(fileURLToPath(import.meta.url)), '..', 'test-output');
const hasChromium = existsSync(CHROMIUM);

interface Hooks {
  firstRenderMs: number;
  search(q: string): void;
  waterfall: {
    range(): [number, number];
    visible(): number[];
    barCenter(i: number): number[] | undefined;
  };
}
declare const window: { aiopsViz: Hooks; scrollX: number; scrollY: number };

const describeBrowser = hasChromium ? describe : describe.skip;
if (!hasChromium) {
  it.skip(`browser tests need ${CHROMIUM} (apt-get install chromium); skipped because it is absent`, () => {});
}

describeBrowser('pages in headless Chromium', () => {
  let ctx: BrowserContext;
  let profile: string;
  let page: Page;
  const errors: string[] = [];

  beforeAll(async () => {
    mkdirSync(OUT, { recursive: true });
    profile = mkdtempSync(join(tmpdir(), 'aiops-viz-chromium-'));
    ctx = await chromium.launchPersistentContext(profile, {
      executablePath: CHROMIUM,
      headless: true,
      viewport: { width: 1500, height: 1000 },
      args: [
        '--headless',
        '--no-sandbox',
        '--disable-gpu',
        '--disable-quic',
        '--no-first-run',
        '--disable-background-networking',
        '--disable-component-update',
        '--disable-sync',
      ],
    });
    page = await ctx.newPage();
    page.on('console', (m) => {
      if (m.type() === 'error') errors.push(m.text());
    });
    page.on('pageerror', (e) => errors.push(e.message));
    page.on('request', (r) => {
      if (!r.url().startsWith('file:')) errors.push(`network request: ${r.url()}`);
    });
  });

  afterAll(async () => {
    await ctx?.close();
    if (profile) rmSync(profile, { recursive: true, force: true });
  });

  async function open(name: string, html: string): Promise<void> {
    const file = join(OUT, `${name}.html`);
    writeFileSync(file, html);
    await page.goto(`file://${file}`);
    await page.waitForSelector('body[data-rendered="true"]', { state: 'attached', timeout: 15_000 });
  }

  /** Texts of the SVG labels inside a chart container. */
  async function svgTexts(selector: string): Promise<string[]> {
    return page.$$eval(`${selector} svg text`, (els) => els.map((e) => (e.textContent ?? '').replace(/\u00a0/g, ' ')));
  }

  describe('a 10-service / 15-span trace', () => {
    const { table, criticalPath } = checkoutTrace();
    const services = [...new Set(Array.from({ length: table.numSpans }, (_, r) => table.stringAt('service', r)))];

    beforeAll(async () => {
      errors.length = 0;
      await open(
        'checkout',
        renderTraceHtml(table, {
          criticalPath,
          bottleneck: {
            spanId: '0000000000000009',
            service: 'bank-api',
            operation: 'POST /authorize',
            exclusiveMs: 105,
            share: 0.42,
          },
          notes: ['payment fails after bank-api times out'],
        }),
      );
    });

    it('draws every span as a labelled row with a bar in its service colour', async () => {
      expect(services.length).toBe(10);
      const labels = await svgTexts('#waterfall');
      for (let r = 0; r < table.numSpans; r++) {
        const name = `${table.stringAt('service', r)} ${table.stringAt('operation', r)}`;
        expect(labels.some((l) => l.endsWith(name))).toBe(true);
      }
      const fills = await page.evaluate(() => {
        const out: string[] = [];
        for (const i of window.aiopsViz.waterfall.visible()) {
          const p = window.aiopsViz.waterfall.barCenter(i)!;
          const hit = document.elementFromPoint(p[0]! - window.scrollX, p[1]! - window.scrollY);
          out.push(hit?.getAttribute('fill') ?? 'none');
        }
        return out;
      });
      expect(fills.length).toBe(15);
      // Display order is the tree's pre-order; row 0 is frontend (palette colour 0).
      expect(fills[0]).toBe('#4e79a7');
      expect(new Set(fills).size).toBe(10);
    });

    it('draws every service in the service graph and the heat view', async () => {
      const graph = await svgTexts('#graph');
      const heat = await svgTexts('#heat');
      for (const s of services) {
        expect(graph).toContain(s);
        expect(heat).toContain(s);
      }
      expect(graph).toContain('1× · 105.00 ms');
    });

    it('shows the attributes, events and exception of a clicked span', async () => {
      const i = await page.evaluate(() => {
        const v = window.aiopsViz.waterfall.visible();
        return v[8]!; // bank-api POST /authorize in pre-order
      });
      const p = await page.evaluate((k) => window.aiopsViz.waterfall.barCenter(k)!, i);
      await page.mouse.click(
        p[0]! - (await page.evaluate(() => window.scrollX)),
        p[1]! - (await page.evaluate(() => window.scrollY)),
      );
      const details = (await page.locator('#details').textContent()) ?? '';
      expect(details).toContain('bank-api · POST /authorize');
      expect(details).toContain('server.address');
      expect(details).toContain('bank.example');
      expect(details).toContain('Exception at +189.00 ms');
      expect(details).toContain('bank did not answer within 100 ms');
      expect(details).toContain('bottleneck');
    });

    it('changes the visible time range when zooming', async () => {
      const before = await page.evaluate(() => window.aiopsViz.waterfall.range());
      expect(before).toEqual([0, 250]);
      await page.click('#zoom-in');
      const after = await page.evaluate(() => window.aiopsViz.waterfall.range());
      expect(after[0]).toBeCloseTo(62.5, 5);
      expect(after[1]).toBeCloseTo(187.5, 5);
      // The axis is redrawn on the next animation frame: wait for it rather than race it on a busy machine.
      await expect.poll(() => svgTexts('#waterfall'), { timeout: 5000 }).toContain('62.50 ms');
      const axis = await svgTexts('#waterfall');
      expect(axis).toContain('120.00 ms');
      expect(axis).not.toContain('250.00 ms');
      expect(await page.locator('#range').textContent()).toContain('62.50 ms – 187.50 ms');
      await page.click('#zoom-reset');
      expect(await page.evaluate(() => window.aiopsViz.waterfall.range())).toEqual([0, 250]);
      await expect.poll(() => svgTexts('#waterfall'), { timeout: 5000 }).toContain('250.00 ms');
    });

    it('highlights exactly the critical-path spans', async () => {
      const labels = (await svgTexts('#waterfall')).filter((l) => /[▾▸ ]/.test(l.slice(0, 40)) && l.includes(' '));
      const critical = labels.filter((l) => l.includes('◆')).map((l) => l.replace(/^[\s▾▸◆✖◷?]+/, ''));
      expect(critical.sort()).toEqual(
        [
          'bank-api POST /authorize',
          'checkout PlaceOrder',
          'frontend GET /checkout',
          'frontend render',
          'payment Charge',
          'payment retry',
          'shipping Quote',
        ].sort(),
      );
      // One highlight band is drawn behind each critical row, and a dark strip for each critical-path segment.
      expect(await page.locator('#waterfall svg path[fill="#fdf3c4"]').count()).toBe(7);
      expect(await page.locator('#waterfall svg path[fill="#1f2937"]').count()).toBe(criticalPath.length);
    });

    it('collapses a subtree and filters by search', async () => {
      await page.evaluate(() => window.aiopsViz.search('postgres'));
      expect(await page.evaluate(() => window.aiopsViz.waterfall.visible().length)).toBe(5);
      expect(await page.locator('#search-count').textContent()).toBe('5 span(s) match or lead to a match');
      await page.evaluate(() => window.aiopsViz.search(''));
      await page.click('#collapse-all');
      // Collapse all keeps the root open: frontend GET /checkout, checkout PlaceOrder (collapsed), frontend render.
      expect(await page.evaluate(() => window.aiopsViz.waterfall.visible().length)).toBe(3);
      await page.click('#expand-all');
      expect(await page.evaluate(() => window.aiopsViz.waterfall.visible().length)).toBe(15);
    });

    it('logs no console errors and makes no network requests; screenshot saved', async () => {
      await page.screenshot({ path: join(OUT, 'checkout.png'), fullPage: true });
      expect(errors).toEqual([]);
    });
  });

  it('opens a 5,000-span trace and renders it (first render measured in the page)', async () => {
    errors.length = 0;
    const table = largeTrace(5000);
    const html = renderTraceHtml(table);
    await open('large-5000', html);
    const timing = await page.evaluate(() => ({
      firstRenderMs: window.aiopsViz.firstRenderMs,
      sinceStartMs: window.aiopsViz.firstRenderMs - (performance.getEntriesByName('aiops:start')[0]?.startTime ?? 0),
      rows: window.aiopsViz.waterfall.visible().length,
    }));
    writeFileSync(join(OUT, 'large-5000.json'), `${JSON.stringify({ ...timing, htmlBytes: html.length }, null, 2)}\n`);
    expect(timing.rows).toBe(5000);
    expect(timing.firstRenderMs).toBeLessThan(5000);
    const t0 = Date.now();
    await page.evaluate(() => window.aiopsViz.search('svc-3 '));
    await page.click('#zoom-in');
    expect(Date.now() - t0).toBeLessThan(5000);
    await page.screenshot({ path: join(OUT, 'large-5000.png') });
    expect(errors).toEqual([]);
  });

  it('opens the dependency and comparison pages without errors', async () => {
    errors.length = 0;
    await open(
      'dependencies',
      renderDependencyHtml({
        services: [
          { name: 'frontend', kind: 'service', calls: 1000, errorRate: 0.01, p50Ms: 20, p95Ms: 80, p99Ms: 200 },
          { name: 'checkout', kind: 'service', calls: 400, errorRate: 0.05, p50Ms: 30, p95Ms: 90, p99Ms: 250 },
          { name: 'postgres', kind: 'database', calls: 900, errorRate: 0.3, p50Ms: 2, p95Ms: 9, p99Ms: 40 },
        ],
        edges: [
          { from: 'frontend', to: 'checkout', calls: 400, errorRate: 0.05, p50Ms: 30, p95Ms: 90, p99Ms: 250 },
          { from: 'checkout', to: 'postgres', calls: 900, errorRate: 0.3, p50Ms: 2, p95Ms: 9, p99Ms: 40 },
          { from: 'checkout', to: 'bank.example', calls: 50, errorRate: 0, p50Ms: 50, p95Ms: 90, p99Ms: 99 },
        ],
        criticalPaths: [
          {
            entry: 'GET /checkout',
            path: ['frontend', 'checkout', 'postgres'],
            p99Ms: 250,
            bottleneck: 'postgres',
            share: 0.6,
          },
        ],
        singlePointsOfFailure: [{ service: 'postgres', dependents: 2, endpointsAffected: 3 }],
      }),
    );
    const texts = await svgTexts('#graph');
    for (const s of ['frontend', 'checkout', 'postgres', 'bank.example']) expect(texts).toContain(s);
    await page.click('[data-path="0"]');
    await page.screenshot({ path: join(OUT, 'dependencies.png'), fullPage: true });

    const { table } = checkoutTrace();
    await open(
      'comparison',
      renderComparisonHtml({
        normal: table,
        abnormal: table,
        diff: {
          durationDiffMs: 105,
          added: [{ service: 'payment', operation: 'retry' }],
          removed: [],
          changed: [
            {
              service: 'bank-api',
              operation: 'POST /authorize',
              normalMs: 5,
              abnormalMs: 105,
              diffMs: 100,
              share: 0.95,
            },
          ],
          statusChanges: [{ service: 'payment', operation: 'Charge', normal: 'ok', abnormal: 'error' }],
          attributeChanges: [],
          hypotheses: [{ text: 'bank-api times out', confidence: 0.8, evidence: ['+100 ms on POST /authorize'] }],
        },
      }),
    );
    const right = (await svgTexts('#waterfall-abnormal')).join('\n');
    expect(right).toContain('payment retry [only in abnormal]');
    expect(right).toContain('✖ ◷ bank-api POST /authorize');
    expect(await page.locator('table.list').first().textContent()).toContain('+100.00 ms');
    await page.screenshot({ path: join(OUT, 'comparison.png'), fullPage: true });
    expect(errors).toEqual([]);
  });
});
