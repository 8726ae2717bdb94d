// The HTML shell shared by the pages: styles, the bundled echarts library, the embedded data and the client code.
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { vizClient } from './client.ts';
import { escapeHtml, jsonForScript, scriptForInline } from './escape.ts';

let echartsSource: string | undefined;

/** The minified echarts browser bundle, read once from the installed package. */
export function echartsScript(): string {
  if (echartsSource === undefined) {
    const require = createRequire(import.meta.url);
    echartsSource = scriptForInline(readFileSync(require.resolve('echarts/dist/echarts.min.js'), 'utf8'));
  }
  return echartsSource;
}

const CSS = `
*{box-sizing:border-box}
body{margin:0;font:13px/1.45 system-ui,-apple-system,"Segoe UI",Roboto,"DejaVu Sans",sans-serif;color:#222;background:#f6f7f9}
header{padding:14px 20px 8px;background:#fff;border-bottom:1px solid #e3e5e8}
h1{font-size:18px;margin:0 0 4px}
h2{font-size:15px;margin:0 0 8px}
h3{font-size:14px;margin:0 0 6px;word-break:break-all}
h4{font-size:12px;margin:12px 0 4px;color:#555;text-transform:uppercase;letter-spacing:.04em}
.stats{display:flex;flex-wrap:wrap;gap:6px 18px;color:#444}
.stats b{color:#111}
.notes,.warnings{margin:6px 0 0;padding-left:18px}
.warnings li{color:#8a5300}
.card{background:#fff;border:1px solid #e3e5e8;border-radius:6px;padding:12px;margin:12px 20px}
.toolbar{display:flex;flex-wrap:wrap;gap:8px;align-items:center;margin-bottom:8px}
.toolbar input{padding:5px 8px;border:1px solid #c8ccd1;border-radius:4px;min-width:260px}
.toolbar button{padding:4px 10px;border:1px solid #c8ccd1;background:#fafafa;border-radius:4px;cursor:pointer}
.toolbar button:hover{background:#eef1f4}
.muted{color:#666}
#legend{display:flex;flex-wrap:wrap;gap:4px 14px;margin:4px 0 8px;color:#333}
.lg-item{display:inline-flex;align-items:center;gap:5px}
.chip{display:inline-block;width:12px;height:12px;border-radius:2px}
.lg-critical{color:#111}.lg-error{color:#c62828}.lg-slow{color:#b26a00}.lg-added{color:#2ca02c}.lg-removed{color:#777}.lg-changed{color:#b26a00}
.split{display:flex;gap:12px;align-items:flex-start}
.split>.grow{flex:1;min-width:0}
#details{width:380px;flex:none;max-height:900px;overflow:auto;border-left:1px solid #eee;padding-left:12px}
.kv{border-collapse:collapse;width:100%;font-size:12px}
.kv th{text-align:left;vertical-align:top;color:#555;font-weight:500;padding:2px 8px 2px 0;white-space:nowrap}
.kv td{padding:2px 0;word-break:break-all}
.kv pre{margin:0;white-space:pre-wrap;font-size:11px;max-height:240px;overflow:auto;background:#f7f7f7;padding:4px}
.kv.exception th,.kv.exception td{color:#b71c1c}
.badges{display:flex;gap:4px;flex-wrap:wrap}
.badge{font-size:11px;padding:1px 6px;border-radius:8px;background:#eee}
.b-critical{background:#fdf3c4}.b-error{background:#fde0e0;color:#b71c1c}.b-slow{background:#ffe9c7}
.b-bottleneck{background:#222;color:#fff}.b-warn{background:#fff3cd}.b-diff{background:#e3f2fd}
.grid2{display:grid;grid-template-columns:minmax(0,1fr) minmax(0,1fr);gap:12px;margin:0 20px}
.grid2>.card{margin:12px 0}
table.list{border-collapse:collapse;width:100%}
table.list th,table.list td{text-align:left;padding:4px 8px;border-bottom:1px solid #eee;vertical-align:top}
table.list td.num,table.list th.num{text-align:right;font-variant-numeric:tabular-nums}
.share{display:inline-block;height:8px;background:#e6550d;border-radius:2px;vertical-align:middle}
[data-path]{cursor:pointer}[data-path].on{background:#fdf3c4}
.conf{font-variant-numeric:tabular-nums;color:#555}
`;

// The client is embedded from its compiled source; esbuild-based loaders (tsx, keepNames) wrap functions in a
// `__name(fn, "name")` helper that exists only in the module, so the page provides an identity version of it.
const CLIENT_PRELUDE = 'var __name = function (f) { return f; };\n';

/** Options of {@link htmlPage}. */
export interface PageParts {
  readonly title: string;
  /** Trusted HTML (built with escapeHtml for every user-controlled part). */
  readonly body: string;
  /** Data for the client, embedded as JSON. */
  readonly data: unknown;
}

/** One self-contained HTML document: no network access is needed to open it. */
export function htmlPage(parts: PageParts): string {
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="generator" content="@aiops/viz">
<title>${escapeHtml(parts.title)}</title>
<style>${CSS}</style>
</head>
<body>
${parts.body}
<script>performance.mark('aiops:start');</script>
<script type="application/json" id="aiops-data">${jsonForScript(parts.data)}</script>
<script>${echartsScript()}</script>
<script>${CLIENT_PRELUDE}${scriptForInline(`(${vizClient.toString()})(echarts, document, window);`)}</script>
</body>
</html>
`;
}
