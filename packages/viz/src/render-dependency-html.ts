// A service dependency graph as a self-contained interactive HTML page (echarts graph, layered layout).
import { escapeHtml } from './internal/escape.ts';
import { htmlPage } from './internal/page.ts';
import { layeredPositions } from './internal/payload.ts';

/** A service (or inferred database, cache, queue, external system) of the dependency graph. */
export interface DependencyServiceInput {
  readonly name: string;
  /** 'service', 'database', 'cache', 'queue', 'external', … */
  readonly kind: string;
  readonly calls: number;
  /** 0..1 */
  readonly errorRate: number;
  readonly p50Ms: number;
  readonly p95Ms: number;
  readonly p99Ms: number;
}

/** A caller → callee edge with its call statistics. */
export interface DependencyEdgeInput {
  readonly from: string;
  readonly to: string;
  readonly calls: number;
  /** 0..1 */
  readonly errorRate: number;
  readonly p50Ms: number;
  readonly p95Ms: number;
  readonly p99Ms: number;
}

/** The critical path of one entry endpoint. */
export interface DependencyCriticalPathInput {
  readonly entry: string;
  /** Services from the entry to the deepest one on the path. */
  readonly path: readonly string[];
  readonly p99Ms: number;
  readonly bottleneck: string;
  /** Share of the entry's latency spent in the bottleneck, 0..1. */
  readonly share: number;
}

/** A service whose failure breaks many others. */
export interface SinglePointOfFailureInput {
  readonly service: string;
  readonly dependents: number;
  readonly endpointsAffected: number;
}

/** The JSON of `aiops analyze-dependencies --json`. */
export interface DependencyGraphInput {
  readonly services: readonly DependencyServiceInput[];
  readonly edges: readonly DependencyEdgeInput[];
  readonly criticalPaths?: readonly DependencyCriticalPathInput[];
  readonly singlePointsOfFailure?: readonly SinglePointOfFailureInput[];
}

/** Options of {@link renderDependencyHtml}. */
export interface DependencyHtmlOptions {
  /** Page title. Default "Service dependencies". */
  readonly title?: string;
}

const pct = (v: number): string => `${(v * 100).toFixed(1)}%`;
const msText = (v: number): string => (Number.isFinite(v) ? `${v.toFixed(v < 10 ? 2 : 1)} ms` : '?');

/**
 * Renders a service dependency graph as one self-contained, interactive HTML page.
 *
 * **Details**
 * - Nodes are services (circles) and inferred backing systems (squares for databases, diamonds for others), sized by
 *   calls and coloured from green to red by error rate (red at ≥ 20%); single points of failure get a thick black
 *   border. Edges are drawn caller → callee, wider with more calls (log scale), coloured by error rate.
 * - Layered layout: a node's column is its call distance from the entry services (nodes nobody calls); drag nodes,
 *   zoom and pan freely. Tooltips show calls, error rate and P50/P95/P99.
 * - Tables list the critical paths (click one to highlight it in the graph), single points of failure and services.
 * - Edges that name a service missing from `services` still get a node, so nothing is dropped.
 *
 * **Complexity** O(services + edges).
 *
 * **Gotchas** The page is ~1.2 MB because echarts is inlined; all names are escaped.
 *
 * @example
 * ```ts
 * writeFileSync('deps.html', renderDependencyHtml(JSON.parse(readFileSync('deps.json', 'utf8'))));
 * ```
 */
export function renderDependencyHtml(graph: DependencyGraphInput, options: DependencyHtmlOptions = {}): string {
  const known = new Map(graph.services.map((s) => [s.name, s]));
  const nodes: DependencyServiceInput[] = [...graph.services];
  for (const e of graph.edges) {
    for (const name of [e.from, e.to]) {
      if (!known.has(name)) {
        const stub = {
          name,
          kind: 'unknown',
          calls: 0,
          errorRate: 0,
          p50Ms: Number.NaN,
          p95Ms: Number.NaN,
          p99Ms: Number.NaN,
        };
        known.set(name, stub);
        nodes.push(stub);
      }
    }
  }
  const pos = layeredPositions(
    nodes.map((s) => s.name),
    graph.edges,
  );
  const title = options.title ?? 'Service dependencies';
  const paths = graph.criticalPaths ?? [];
  const spofs = graph.singlePointsOfFailure ?? [];
  const pathRows = paths
    .map(
      (p, k) =>
        `<tr data-path="${k}"><td>${escapeHtml(p.entry)}</td><td>${p.path.map(escapeHtml).join(' → ')}</td><td class="num">${escapeHtml(msText(p.p99Ms))}</td><td>${escapeHtml(p.bottleneck)}</td><td class="num">${escapeHtml(pct(p.share))}</td></tr>`,
    )
    .join('');
  const spofRows = spofs
    .map(
      (s) =>
        `<tr><td>${escapeHtml(s.service)}</td><td class="num">${s.dependents}</td><td class="num">${s.endpointsAffected}</td></tr>`,
    )
    .join('');
  const serviceRows = [...nodes]
    .sort((a, b) => b.calls - a.calls)
    .map(
      (s) =>
        `<tr><td>${escapeHtml(s.name)}</td><td>${escapeHtml(s.kind)}</td><td class="num">${s.calls}</td><td class="num">${escapeHtml(pct(s.errorRate))}</td><td class="num">${escapeHtml(msText(s.p50Ms))}</td><td class="num">${escapeHtml(msText(s.p95Ms))}</td><td class="num">${escapeHtml(msText(s.p99Ms))}</td></tr>`,
    )
    .join('');
  const body = `
<header>
  <h1>${escapeHtml(title)}</h1>
  <div class="stats"><span><b>${nodes.length}</b> services</span><span><b>${graph.edges.length}</b> edges</span><span><b>${paths.length}</b> critical paths</span><span><b>${spofs.length}</b> single points of failure</span></div>
</header>
<section class="card">
  <div id="legend" class="muted">Node size: calls · colour: error rate (green 0% → red ≥ 20%) · ● service ■ database ◆ other backing system · thick black border: single point of failure · edge width: calls. Drag, scroll to zoom.</div>
  <div id="graph" style="width:100%;height:640px"></div>
</section>
<div class="grid2">
  <section class="card"><h2>Critical paths</h2>${paths.length ? `<p class="muted">Click a path to highlight it.</p><table class="list"><tr><th>entry</th><th>path</th><th class="num">p99</th><th>bottleneck</th><th class="num">share</th></tr>${pathRows}</table>` : '<p class="muted">none given</p>'}</section>
  <section class="card"><h2>Single points of failure</h2>${spofs.length ? `<table class="list"><tr><th>service</th><th class="num">dependents</th><th class="num">endpoints affected</th></tr>${spofRows}</table>` : '<p class="muted">none given</p>'}</section>
</div>
<section class="card"><h2>Services</h2><table class="list"><tr><th>service</th><th>kind</th><th class="num">calls</th><th class="num">errors</th><th class="num">p50</th><th class="num">p95</th><th class="num">p99</th></tr>${serviceRows}</table></section>`;
  const data = {
    kind: 'deps',
    graph: {
      nodes: nodes.map((s) => ({ ...s, x: pos.get(s.name)!.x, y: pos.get(s.name)!.y })),
      edges: graph.edges,
      criticalPaths: paths,
      singlePointsOfFailure: spofs,
    },
  };
  return htmlPage({ title, body, data });
}
