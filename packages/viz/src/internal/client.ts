/// <reference lib="dom" />
// The browser side of the pages. `vizClient` is embedded in the HTML with Function.prototype.toString, so it must
// be self-contained: no imports at run time, no references to anything outside its own body.
// User-controlled text only ever reaches the DOM through textContent, and echarts tooltips through `esc`.

interface Rect {
  x: number;
  y: number;
  width: number;
  height: number;
}
interface RenderApi {
  value(dim: number): number;
  coord(v: number[]): number[];
  size(v: number[]): number[];
}
interface EventParams {
  componentType?: string;
  seriesType?: string;
  dataType?: string;
  dataIndex?: number;
  value?: unknown;
  data?: unknown;
  name?: string;
}
interface Chart {
  setOption(option: object, opts?: object): void;
  on(event: string, cb: (p: EventParams) => void): void;
  convertToPixel(finder: object, value: number[]): number[];
  getOption(): { dataZoom?: { start?: number; end?: number }[] };
  dispatchAction(action: object): void;
  resize(): void;
}
interface EchartsLib {
  init(el: HTMLElement, theme: null, opts: object): Chart;
  graphic: { clipRectByRect(a: Rect, b: Rect): Rect | undefined };
}
interface WaterfallHandle {
  chart: Chart;
  setQuery(q: string): number;
  expandAll(): void;
  collapseAll(): void;
  zoom(factor: number): void;
  resetZoom(): void;
  range(): [number, number];
  visible(): number[];
  barCenter(i: number): number[] | undefined;
  select(i: number): void;
}

/** Runs in the page: reads the embedded data and draws the page. */
export function vizClient(echarts: EchartsLib, doc: Document, win: Window & { aiopsViz?: unknown }): void {
  performance.mark('aiops:script');
  const dataEl = doc.getElementById('aiops-data');
  // biome-ignore lint/suspicious/noExplicitAny: the embedded JSON is typed by the Node side (payload.ts).
  const data: any = JSON.parse(dataEl ? (dataEl.textContent ?? '{}') : '{}');
  const FLAG = { Error: 1, Slow: 2, Critical: 4, Orphan: 8, ClockSkew: 16, Bottleneck: 32 };
  const KINDS = ['unspecified', 'internal', 'server', 'client', 'producer', 'consumer'];
  const STATUS = ['unset', 'ok', 'error'];
  const ROW_PX = 22;
  const MAX_ROWS_IN_VIEW = 40;
  const hooks: Record<string, unknown> = {};
  win.aiopsViz = hooks;
  let pending = 0;
  let firstRenderDone = false;
  const charts: Chart[] = [];

  function esc(s: unknown): string {
    return String(s).replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
  }
  function el(tag: string, cls?: string, text?: string): HTMLElement {
    const e = doc.createElement(tag);
    if (cls) e.className = cls;
    if (text !== undefined) e.textContent = text;
    return e;
  }
  function fmtMs(v: number): string {
    if (!Number.isFinite(v)) return '?';
    const a = Math.abs(v);
    if (a < 1) return `${Math.round(v * 1000)} µs`;
    if (a < 1000) return `${v.toFixed(2)} ms`;
    return `${(v / 1000).toFixed(2)} s`;
  }
  function newChart(host: HTMLElement): Chart {
    const chart = echarts.init(host, null, { renderer: 'svg' });
    charts.push(chart);
    pending++;
    let counted = false;
    chart.on('finished', () => {
      if (counted) return;
      counted = true;
      pending--;
      if (pending === 0 && !firstRenderDone) {
        firstRenderDone = true;
        performance.mark('aiops:first-render');
        hooks.firstRenderMs = performance.now();
        doc.body.setAttribute('data-rendered', 'true');
      }
    });
    return chart;
  }
  win.addEventListener('resize', () => {
    for (const c of charts) c.resize();
  });

  // ---- span details -------------------------------------------------------------------------------------------
  // biome-ignore lint/suspicious/noExplicitAny: see above.
  function showDetails(panel: HTMLElement, d: any, i: number): void {
    panel.textContent = '';
    const svc = d.services[d.svc[i]];
    const op = d.operations[d.op[i]];
    panel.appendChild(el('h3', 'det-title', `${svc} · ${op}`));
    const f = d.flags[i];
    const badges = el('div', 'badges');
    const badge = (cls: string, text: string): void => {
      badges.appendChild(el('span', `badge ${cls}`, text));
    };
    if (f & FLAG.Critical) badge('b-critical', 'critical path');
    if (f & FLAG.Error) badge('b-error', 'error');
    if (f & FLAG.Slow) badge('b-slow', 'slow');
    if (f & FLAG.Bottleneck) badge('b-bottleneck', 'bottleneck');
    if (f & FLAG.Orphan) badge('b-warn', 'parent missing');
    if (f & FLAG.ClockSkew) badge('b-warn', 'outside parent (clock skew?)');
    if (d.marks?.[i]) badge('b-diff', d.markText[i]);
    panel.appendChild(badges);
    const table = (title: string, rows: [string, string][]): void => {
      if (rows.length === 0) return;
      panel.appendChild(el('h4', '', title));
      const t = el('table', 'kv');
      for (const [k, v] of rows) {
        const tr = el('tr');
        tr.appendChild(el('th', '', k));
        const td = el('td');
        if (v.includes('\n') || v.length > 120) td.appendChild(el('pre', '', v));
        else td.textContent = v;
        tr.appendChild(td);
        t.appendChild(tr);
      }
      panel.appendChild(t);
    };
    const p = d.parent[i];
    table('Span', [
      ['service', svc],
      ['operation', op],
      ['span id', d.spanId[i]],
      ['parent', p >= 0 ? `${d.spanId[p]} (${d.services[d.svc[p]]} · ${d.operations[d.op[p]]})` : '—'],
      ['kind', KINDS[d.kind[i]] ?? String(d.kind[i])],
      [
        'status',
        `${STATUS[d.status[i]] ?? d.status[i]}${d.statusMessages[d.sm[i]] ? `: ${d.statusMessages[d.sm[i]]}` : ''}`,
      ],
      ['start', `+${fmtMs(d.start[i])}`],
      ['duration', fmtMs(d.dur[i])],
      ['self time', fmtMs(d.self[i])],
    ]);
    const attrs: [string, string][] = [];
    for (let a = d.attrOff[i]; a < d.attrOff[i + 1]; a++) attrs.push([d.attrKeys[d.attrK[a]], d.attrV[a]]);
    table('Attributes', attrs);
    const k = d.evIdx.indexOf(i);
    if (k >= 0) {
      let events: { timeUnixNano: string; name: string; attributes: [string, number, string][] }[] = [];
      try {
        events = JSON.parse(d.evJson[k]);
      } catch {
        panel.appendChild(el('p', 'warn', 'events could not be read'));
      }
      for (const e of events) {
        const rel = Number(BigInt(e.timeUnixNano) - BigInt(d.baseUnixNano)) / 1e6;
        const rows: [string, string][] = (e.attributes ?? []).map((t) => [t[0], t[2]] as [string, string]);
        const isExc = e.name === 'exception';
        const title = isExc ? `Exception at +${fmtMs(rel)}` : `Event “${e.name}” at +${fmtMs(rel)}`;
        table(title, rows.length > 0 ? rows : [['', '(no attributes)']]);
        if (isExc) panel.lastElementChild?.classList.add('exception');
      }
    }
    const resJson = d.resources[d.res[i]];
    if (resJson) {
      try {
        const triples: [string, number, string][] = JSON.parse(resJson);
        table(
          'Resource',
          triples.map((t) => [t[0], t[2]] as [string, string]),
        );
      } catch {
        /* resource text that is not JSON is simply not shown */
      }
    }
  }

  // ---- waterfall ----------------------------------------------------------------------------------------------
  // biome-ignore lint/suspicious/noExplicitAny: see above.
  function mountWaterfall(host: HTMLElement, rangeEl: HTMLElement | null, d: any, onSelect: (i: number) => void) {
    const n: number = d.svc.length;
    const hasKids = new Uint8Array(n);
    for (let i = 0; i < n; i++) if (d.parent[i] >= 0) hasKids[d.parent[i]] = 1;
    const collapsed = new Uint8Array(n);
    const cpByIndex: number[][] = [];
    for (let k = 0; k < d.cp.length; k += 3) (cpByIndex[d.cp[k]] ??= []).push(d.cp[k + 1], d.cp[k + 2]);
    const lower: string[] = [];
    for (let i = 0; i < n; i++) lower.push(`${d.services[d.svc[i]]} ${d.operations[d.op[i]]}`.toLowerCase());
    let query = '';
    let selected = -1;
    let visible: number[] = [];
    let zoomStart = 0;
    let zoomEnd = 100;

    function computeVisible(): void {
      let keep: Uint8Array | null = null;
      if (query) {
        keep = new Uint8Array(n);
        for (let i = 0; i < n; i++) {
          if (lower[i]!.includes(query)) {
            for (let j = i; j >= 0 && !keep[j]; j = d.parent[j]) keep[j] = 1;
          }
        }
      }
      visible = [];
      let hideDeeperThan = Number.POSITIVE_INFINITY;
      for (let i = 0; i < n; i++) {
        const dep = d.depth[i];
        if (dep > hideDeeperThan) continue;
        hideDeeperThan = Number.POSITIVE_INFINITY;
        if (keep && !keep[i]) continue;
        visible.push(i);
        if (collapsed[i]) hideDeeperThan = dep;
      }
    }
    function label(i: number): string {
      const f = d.flags[i];
      let mark = '';
      if (f & FLAG.Critical) mark += '◆ ';
      if (f & FLAG.Error) mark += '✖ ';
      if (f & FLAG.Slow) mark += '◷ ';
      if (f & FLAG.Orphan) mark += '? ';
      const toggle = hasKids[i] ? (collapsed[i] ? '▸ ' : '▾ ') : '\u00a0\u00a0 ';
      const diff = d.marks?.[i] ? ` [${d.markText[i]}]` : '';
      return `${'\u00a0\u00a0'.repeat(Math.min(d.depth[i], 30))}${toggle}${mark}${d.services[d.svc[i]]} ${d.operations[d.op[i]]}${diff}`;
    }
    const chart = newChart(host);
    const labelWidth = Math.min(420, Math.max(220, Math.round(host.clientWidth * 0.32)));

    function renderItem(params: { coordSys: Rect }, api: RenderApi): object {
      const i = api.value(3);
      const k = api.value(2);
      const p0 = api.coord([api.value(0), k]);
      const p1 = api.coord([api.value(1), k]);
      const rowH = api.size([0, 1])[1]!;
      const barH = Math.max(4, Math.min(14, rowH * 0.6));
      const cs = params.coordSys;
      const f = d.flags[i];
      const children: object[] = [];
      if (f & FLAG.Critical) {
        children.push({
          type: 'rect',
          shape: { x: cs.x, y: p0[1]! - rowH / 2, width: cs.width, height: rowH },
          style: { fill: '#fdf3c4' },
          silent: true,
        });
      }
      const bar = echarts.graphic.clipRectByRect(
        { x: p0[0]!, y: p0[1]! - barH / 2, width: Math.max(p1[0]! - p0[0]!, 2), height: barH },
        cs,
      );
      if (bar) {
        const mark = d.marks?.[i] ?? 0;
        const stroke =
          i === selected
            ? '#111'
            : f & FLAG.Error
              ? '#d62728'
              : mark === 1
                ? '#2ca02c'
                : mark === 2
                  ? '#7f7f7f'
                  : mark === 3 || f & FLAG.Slow
                    ? '#e8890c'
                    : undefined;
        children.push({
          type: 'rect',
          shape: bar,
          style: {
            fill: d.colors[d.svc[i]],
            stroke,
            lineWidth: stroke ? 2 : 0,
            lineDash: f & FLAG.Slow && !(f & FLAG.Error) ? [4, 2] : mark === 2 ? [2, 2] : null,
            opacity: mark === 2 ? 0.45 : 1,
          },
        });
      }
      const segs = cpByIndex[i];
      if (segs) {
        for (let s = 0; s < segs.length; s += 2) {
          const a = api.coord([segs[s]!, k]);
          const b = api.coord([segs[s + 1]!, k]);
          const strip = echarts.graphic.clipRectByRect(
            { x: a[0]!, y: p0[1]! + barH / 2 - 3, width: Math.max(b[0]! - a[0]!, 1.5), height: 3 },
            cs,
          );
          if (strip) children.push({ type: 'rect', shape: strip, style: { fill: '#1f2937' }, silent: true });
        }
      }
      const textX = Math.max(p1[0]!, cs.x) + 4;
      if (textX < cs.x + cs.width - 40 && p1[0]! >= cs.x) {
        children.push({
          type: 'text',
          silent: true,
          style: {
            x: textX,
            y: p0[1],
            text: fmtMs(d.dur[i]),
            fill: '#555',
            font: '11px sans-serif',
            verticalAlign: 'middle',
          },
        });
      }
      return { type: 'group', children };
    }

    function gridHeight(): number {
      return Math.min(Math.max(visible.length, 1), MAX_ROWS_IN_VIEW) * ROW_PX;
    }
    function draw(first: boolean): void {
      computeVisible();
      const rows = visible.length;
      const scroll = rows > MAX_ROWS_IN_VIEW;
      host.style.height = `${gridHeight() + 90}px`;
      chart.resize();
      const seriesData = visible.map((i, k) => [d.start[i], d.start[i] + d.dur[i], k, i]);
      const option = {
        animation: false,
        grid: { left: labelWidth, right: scroll ? 46 : 24, top: 30, height: gridHeight() },
        tooltip: {
          trigger: 'item',
          confine: true,
          formatter: (p: EventParams) => {
            const i = (p.value as number[])[3]!;
            const f = d.flags[i];
            const flags = [
              f & FLAG.Critical ? 'critical path' : '',
              f & FLAG.Error ? 'error' : '',
              f & FLAG.Slow ? 'slow' : '',
              d.marks?.[i] ? d.markText[i] : '',
            ].filter(Boolean);
            return `<b>${esc(d.services[d.svc[i]])}</b> · ${esc(d.operations[d.op[i]])}<br>start +${esc(fmtMs(d.start[i]))} · duration ${esc(fmtMs(d.dur[i]))} · self ${esc(fmtMs(d.self[i]))}${flags.length ? `<br>${esc(flags.join(', '))}` : ''}`;
          },
        },
        xAxis: {
          type: 'value',
          position: 'top',
          min: 0,
          max: d.totalMs || 1,
          axisLabel: { formatter: (v: number) => fmtMs(v) },
          splitLine: { lineStyle: { color: '#eee' } },
        },
        yAxis: {
          type: 'category',
          inverse: true,
          data: visible.map(label),
          triggerEvent: true,
          axisTick: { show: false },
          axisLine: { show: false },
          axisLabel: {
            align: 'left',
            margin: labelWidth - 8,
            width: labelWidth - 14,
            overflow: 'truncate',
            fontSize: 12,
            interval: 0,
            color: (_v: string, k: number) => {
              const i = visible[k] ?? 0;
              return d.flags[i] & FLAG.Error ? '#c62828' : d.flags[i] & FLAG.Critical ? '#111' : '#444';
            },
          },
        },
        dataZoom: [
          {
            id: 'tx',
            type: 'slider',
            xAxisIndex: 0,
            filterMode: 'weakFilter',
            bottom: 8,
            height: 18,
            showDataShadow: false,
            labelFormatter: (v: number) => fmtMs(v),
            start: zoomStart,
            end: zoomEnd,
          },
          {
            id: 'ix',
            type: 'inside',
            xAxisIndex: 0,
            filterMode: 'weakFilter',
            zoomOnMouseWheel: 'ctrl',
            moveOnMouseWheel: false,
            moveOnMouseMove: true,
          },
          {
            id: 'sy',
            type: 'slider',
            yAxisIndex: 0,
            show: scroll,
            filterMode: 'weakFilter',
            right: 8,
            width: 16,
            zoomLock: true,
            showDataShadow: false,
            showDetail: false,
            brushSelect: false,
            startValue: 0,
            endValue: Math.min(rows, MAX_ROWS_IN_VIEW) - 1,
          },
          {
            id: 'iy',
            type: 'inside',
            yAxisIndex: 0,
            filterMode: 'weakFilter',
            zoomOnMouseWheel: false,
            moveOnMouseWheel: true,
            moveOnMouseMove: false,
            disabled: !scroll,
          },
        ],
        series: [
          {
            id: 'spans',
            type: 'custom',
            renderItem,
            encode: { x: [0, 1], y: 2 },
            data: seriesData,
            clip: false,
          },
        ],
      };
      chart.setOption(option, first ? undefined : { replaceMerge: ['series', 'dataZoom'] });
      updateRange();
    }
    function updateRange(): void {
      if (!rangeEl) return;
      const [a, b] = range();
      rangeEl.textContent = `time ${fmtMs(a)} – ${fmtMs(b)} of ${fmtMs(d.totalMs)} · ${visible.length} of ${n} spans shown`;
    }
    function range(): [number, number] {
      return [(zoomStart / 100) * d.totalMs, (zoomEnd / 100) * d.totalMs];
    }
    chart.on('datazoom', () => {
      const dz = chart.getOption().dataZoom?.[0];
      if (dz && typeof dz.start === 'number' && typeof dz.end === 'number') {
        zoomStart = dz.start;
        zoomEnd = dz.end;
      }
      updateRange();
    });
    chart.on('click', (p: EventParams) => {
      if (p.componentType === 'series' && Array.isArray(p.value)) {
        select((p.value as number[])[3]!);
      } else if (p.componentType === 'yAxis' && typeof p.dataIndex === 'number') {
        const i = visible[p.dataIndex];
        if (i === undefined) return;
        if (hasKids[i]) {
          collapsed[i] = collapsed[i] ? 0 : 1;
          draw(false);
        }
        select(i);
      }
    });
    function select(i: number): void {
      selected = i;
      chart.setOption({ series: [{ id: 'spans', renderItem }] });
      onSelect(i);
    }
    function zoomTo(s: number, e: number): void {
      zoomStart = Math.max(0, s);
      zoomEnd = Math.min(100, e);
      chart.dispatchAction({ type: 'dataZoom', dataZoomId: 'tx', start: zoomStart, end: zoomEnd });
      updateRange();
    }
    draw(true);
    const handle: WaterfallHandle = {
      chart,
      setQuery(q: string): number {
        query = q.trim().toLowerCase();
        draw(false);
        return visible.length;
      },
      expandAll(): void {
        collapsed.fill(0);
        draw(false);
      },
      collapseAll(): void {
        for (let i = 0; i < n; i++) collapsed[i] = hasKids[i] && d.depth[i] >= 1 ? 1 : 0;
        draw(false);
      },
      zoom(factor: number): void {
        const mid = (zoomStart + zoomEnd) / 2;
        const half = Math.max(0.05, ((zoomEnd - zoomStart) / 2) * factor);
        zoomTo(mid - half, mid + half);
      },
      resetZoom(): void {
        zoomTo(0, 100);
      },
      range,
      visible: () => visible.slice(),
      barCenter(i: number): number[] | undefined {
        const k = visible.indexOf(i);
        if (k < 0) return undefined;
        const [a, b] = range();
        const s = Math.max(d.start[i], a);
        const e = Math.min(d.start[i] + d.dur[i], b);
        const p = chart.convertToPixel({ gridIndex: 0 }, [(s + e) / 2, k]);
        const box = host.getBoundingClientRect();
        return [p[0]! + box.left + win.scrollX, p[1]! + box.top + win.scrollY];
      },
      select,
    };
    return handle;
  }

  // ---- service graph (trace) ----------------------------------------------------------------------------------
  // biome-ignore lint/suspicious/noExplicitAny: see above.
  function mountTraceGraph(host: HTMLElement, g: any, onService: (name: string) => void): Chart {
    const chart = newChart(host);
    const maxSelf = Math.max(1e-9, ...g.nodes.map((nd: { selfMs: number }) => nd.selfMs));
    const maxCalls = Math.max(1, ...g.edges.map((e: { calls: number }) => e.calls));
    const layers = new Map<number, number>();
    for (const nd of g.nodes) layers.set(nd.x, (layers.get(nd.x) ?? 0) + 1);
    const wide = Math.max(0, ...layers.values()) > 8;
    chart.setOption({
      animation: false,
      tooltip: {
        confine: true,
        formatter: (p: EventParams) => {
          // biome-ignore lint/suspicious/noExplicitAny: echarts event data.
          const x: any = p.data;
          if (p.dataType === 'edge')
            return `${esc(x.source)} → ${esc(x.target)}<br>${x.calls} call(s) · ${esc(fmtMs(x.ms))} total${x.errors ? ` · ${x.errors} error(s)` : ''}`;
          return `<b>${esc(x.name)}</b><br>${x.spans} span(s) · self time ${esc(fmtMs(x.selfMs))}${x.errors ? `<br>${x.errors} error(s)` : ''}`;
        },
      },
      series: [
        {
          type: 'graph',
          layout: wide ? 'circular' : 'none',
          circular: { rotateLabel: true },
          roam: true,
          draggable: true,
          edgeSymbol: ['none', 'arrow'],
          edgeSymbolSize: 9,
          label: { show: true, position: wide ? 'right' : 'bottom', fontSize: 12 },
          edgeLabel: {
            show: g.edges.length <= 25,
            fontSize: 10,
            formatter: (p: EventParams) => {
              // biome-ignore lint/suspicious/noExplicitAny: echarts event data.
              const x: any = p.data;
              return `${x.calls}× · ${fmtMs(x.ms)}`;
            },
          },
          data: g.nodes.map(
            (nd: { name: string; x: number; y: number; selfMs: number; color: string; errors: number }) => ({
              ...nd,
              symbolSize: (wide ? 8 : 18) + (wide ? 16 : 26) * Math.sqrt(nd.selfMs / maxSelf),
              itemStyle: {
                color: nd.color,
                borderColor: nd.errors ? '#d62728' : '#fff',
                borderWidth: nd.errors ? 3 : 1,
              },
            }),
          ),
          links: g.edges.map((e: { from: string; to: string; calls: number; errors: number; ms: number }) => ({
            source: e.from,
            target: e.to,
            calls: e.calls,
            errors: e.errors,
            ms: e.ms,
            lineStyle: {
              width: 1 + 4 * (Math.log1p(e.calls) / Math.log1p(maxCalls)),
              color: e.errors ? '#d62728' : '#8a8a8a',
              curveness: 0.12,
            },
          })),
        },
      ],
    });
    chart.on('click', (p: EventParams) => {
      if (p.dataType === 'node' && p.name) onService(p.name);
    });
    return chart;
  }

  // ---- heat view ----------------------------------------------------------------------------------------------
  // biome-ignore lint/suspicious/noExplicitAny: see above.
  function mountHeat(host: HTMLElement, h: any, onCell: (q: string) => void): Chart {
    host.style.height = `${Math.max(220, h.operations.length * 22 + 120)}px`;
    const chart = newChart(host);
    const max = Math.max(1e-9, ...h.cells.map((c: number[]) => c[2]));
    // Colour by the square root of the time so that cells well below the maximum are still told apart.
    const cells = h.cells.map((c: number[]) => [...c, Math.sqrt(c[2]! / max)]);
    chart.setOption({
      animation: false,
      tooltip: {
        confine: true,
        formatter: (p: EventParams) => {
          const v = p.value as number[];
          return `<b>${esc(h.services[v[0]!])}</b> · ${esc(h.operations[v[1]!])}<br>exclusive ${esc(fmtMs(v[2]!))} in ${v[3]} span(s)`;
        },
      },
      grid: { left: 200, right: 30, top: 10, bottom: 110 },
      xAxis: {
        type: 'category',
        data: h.services,
        axisLabel: { rotate: 30, interval: 0, width: 110, overflow: 'truncate' },
      },
      yAxis: {
        type: 'category',
        data: h.operations,
        inverse: true,
        axisLabel: { interval: 0, width: 185, overflow: 'truncate' },
      },
      visualMap: {
        min: 0,
        max: 1,
        dimension: 4,
        calculable: false,
        text: [fmtMs(max), '0'],
        showLabel: false,
        orient: 'horizontal',
        left: 'center',
        bottom: 0,
        itemHeight: 120,
        inRange: { color: ['#fff5eb', '#fdae6b', '#e6550d', '#7f2704'] },
      },
      series: [
        {
          type: 'heatmap',
          data: cells,
          label: {
            show: h.services.length <= 12,
            formatter: (p: EventParams) => fmtMs((p.value as number[])[2]!),
            fontSize: 10,
          },
          itemStyle: { borderColor: '#fff', borderWidth: 1 },
        },
      ],
    });
    chart.on('click', (p: EventParams) => {
      const v = p.value as number[] | undefined;
      if (p.componentType === 'series' && v && v[1]! < h.operations.length) {
        const op = h.operations[v[1]!];
        onCell(
          op.startsWith('(') && v[1] === h.operations.length - 1 ? h.services[v[0]!] : `${h.services[v[0]!]} ${op}`,
        );
      }
    });
    return chart;
  }

  function legend(host: HTMLElement, d: { services: string[]; colors: string[] }, extra: [string, string][]): void {
    d.services.forEach((s, i) => {
      const item = el('span', 'lg-item');
      const chip = el('span', 'chip');
      chip.style.background = d.colors[i]!;
      item.appendChild(chip);
      item.appendChild(doc.createTextNode(s));
      host.appendChild(item);
    });
    for (const [cls, text] of extra) host.appendChild(el('span', `lg-item lg-${cls}`, text));
  }
  const MARKERS: [string, string][] = [
    ['critical', '◆ critical path (dark strip = time on the path)'],
    ['error', '✖ error (red outline)'],
    ['slow', '◷ slow (dashed outline)'],
    ['orphan', '? parent missing'],
  ];

  function bindToolbar(handles: WaterfallHandle[]): void {
    const search = doc.getElementById('search') as HTMLInputElement | null;
    const count = doc.getElementById('search-count');
    const apply = (): void => {
      let shown = 0;
      for (const h of handles) shown += h.setQuery(search?.value ?? '');
      if (count) count.textContent = search?.value ? `${shown} span(s) match or lead to a match` : '';
    };
    search?.addEventListener('input', apply);
    hooks.search = (q: string): void => {
      if (search) search.value = q;
      apply();
    };
    const on = (id: string, fn: () => void): void => doc.getElementById(id)?.addEventListener('click', fn);
    on('zoom-in', () => {
      for (const h of handles) h.zoom(0.5);
    });
    on('zoom-out', () => {
      for (const h of handles) h.zoom(2);
    });
    on('zoom-reset', () => {
      for (const h of handles) h.resetZoom();
    });
    on('expand-all', () => {
      for (const h of handles) h.expandAll();
    });
    on('collapse-all', () => {
      for (const h of handles) h.collapseAll();
    });
  }

  // ---- pages --------------------------------------------------------------------------------------------------
  if (data.kind === 'trace') {
    const d = data.trace;
    const details = doc.getElementById('details')!;
    const wf = mountWaterfall(doc.getElementById('waterfall')!, doc.getElementById('range'), d, (i) =>
      showDetails(details, d, i),
    );
    legend(doc.getElementById('legend')!, d, MARKERS);
    bindToolbar([wf]);
    const search = (q: string): void => (hooks.search as (q: string) => void)(q);
    mountTraceGraph(doc.getElementById('graph')!, d.graph, search);
    mountHeat(doc.getElementById('heat')!, d.heat, search);
    hooks.waterfall = wf;
  } else if (data.kind === 'compare') {
    const details = doc.getElementById('details')!;
    const left = mountWaterfall(
      doc.getElementById('waterfall-normal')!,
      doc.getElementById('range-normal'),
      data.normal,
      (i) => showDetails(details, data.normal, i),
    );
    const right = mountWaterfall(
      doc.getElementById('waterfall-abnormal')!,
      doc.getElementById('range-abnormal'),
      data.abnormal,
      (i) => showDetails(details, data.abnormal, i),
    );
    const services: string[] = [];
    const colors: string[] = [];
    for (const side of [data.normal, data.abnormal]) {
      side.services.forEach((s: string, i: number) => {
        if (!services.includes(s)) {
          services.push(s);
          colors.push(side.colors[i]);
        }
      });
    }
    legend(doc.getElementById('legend')!, { services, colors }, [
      ...MARKERS,
      ['added', 'green outline: only in the abnormal trace'],
      ['removed', 'grey dashed: only in the normal trace'],
      ['changed', 'orange outline: duration changed'],
    ]);
    bindToolbar([left, right]);
    hooks.normal = left;
    hooks.abnormal = right;
  } else if (data.kind === 'deps') {
    const g = data.graph;
    const chart = newChart(doc.getElementById('graph')!);
    const maxCalls = Math.max(1, ...g.nodes.map((x: { calls: number }) => x.calls));
    const maxEdge = Math.max(1, ...g.edges.map((x: { calls: number }) => x.calls));
    const errColor = (r: number): string => {
      const t = Math.max(0, Math.min(1, r / 0.2));
      const mix = (a: number, b: number): number => Math.round(a + (b - a) * t);
      return `rgb(${mix(76, 214)}, ${mix(160, 39)}, ${mix(90, 40)})`;
    };
    const spof = new Set<string>((g.singlePointsOfFailure ?? []).map((s: { service: string }) => s.service));
    let highlighted: Set<string> | null = null;
    const option = (): object => ({
      animation: false,
      tooltip: {
        confine: true,
        formatter: (p: EventParams) => {
          // biome-ignore lint/suspicious/noExplicitAny: echarts event data.
          const x: any = p.data;
          const lat = `p50 ${esc(fmtMs(x.p50Ms))} · p95 ${esc(fmtMs(x.p95Ms))} · p99 ${esc(fmtMs(x.p99Ms))}`;
          if (p.dataType === 'edge')
            return `${esc(x.source)} → ${esc(x.target)}<br>${x.calls} calls · errors ${(x.errorRate * 100).toFixed(1)}%<br>${lat}`;
          return `<b>${esc(x.name)}</b> (${esc(x.kind)})<br>${x.calls} calls · errors ${(x.errorRate * 100).toFixed(1)}%<br>${lat}${spof.has(x.name) ? '<br><b>single point of failure</b>' : ''}`;
        },
      },
      series: [
        {
          type: 'graph',
          layout: 'none',
          roam: true,
          draggable: true,
          edgeSymbol: ['none', 'arrow'],
          edgeSymbolSize: 10,
          label: { show: true, position: 'bottom' },
          data: g.nodes.map((x: { name: string; calls: number; errorRate: number; kind: string }) => ({
            ...x,
            symbol: x.kind === 'service' || !x.kind ? 'circle' : x.kind === 'database' ? 'rect' : 'diamond',
            symbolSize: 16 + 30 * Math.sqrt(x.calls / maxCalls),
            itemStyle: {
              color: errColor(x.errorRate),
              borderColor: spof.has(x.name) ? '#111' : '#fff',
              borderWidth: spof.has(x.name) ? 4 : 1,
              opacity: highlighted && !highlighted.has(x.name) ? 0.25 : 1,
            },
          })),
          links: g.edges.map((e: { from: string; to: string; calls: number; errorRate: number }) => {
            const on = highlighted?.has(`${e.from}\u0000${e.to}`);
            return {
              ...e,
              source: e.from,
              target: e.to,
              lineStyle: {
                width: 1 + 7 * (Math.log1p(e.calls) / Math.log1p(maxEdge)),
                color: on ? '#1f2937' : errColor(e.errorRate),
                opacity: highlighted && !on ? 0.15 : 0.9,
                curveness: 0.1,
              },
            };
          }),
        },
      ],
    });
    chart.setOption(option());
    hooks.highlightPath = (k: number): void => {
      const path = g.criticalPaths?.[k];
      highlighted = null;
      if (path) {
        highlighted = new Set<string>(path.path);
        for (let j = 1; j < path.path.length; j++) highlighted.add(`${path.path[j - 1]}\u0000${path.path[j]}`);
      }
      chart.setOption(option());
    };
    doc.querySelectorAll('[data-path]').forEach((row) => {
      row.addEventListener('click', () => {
        doc.querySelectorAll('[data-path].on').forEach((r) => {
          r.classList.remove('on');
        });
        row.classList.add('on');
        (hooks.highlightPath as (k: number) => void)(Number(row.getAttribute('data-path')));
      });
    });
    hooks.chart = chart;
  }
  performance.mark('aiops:setup');
  if (pending === 0) doc.body.setAttribute('data-rendered', 'true');
}
