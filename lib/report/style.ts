/**
 * The report page's stylesheet, inlined into its <style>: system fonts only (no web fonts, no
 * url() but the data: backgrounds set per tile), light and dark through prefers-color-scheme,
 * status never shown by colour alone (every badge has its word).
 */
export const REPORT_CSS = `
:root {
  color-scheme: light dark;
  --bg: #ffffff; --fg: #1b1f24; --muted: #57606a; --line: #d0d7de; --panel: #f6f8fa;
  --tile: #eef1f4; --accent: #0a61c9;
  --done: #1a7f37; --rejected: #9a6700; --failed: #cf222e; --pending: #57606a;
  --c-waiting: #0a61c9; --c-in-flight: #8250df; --c-dead-letters: #cf222e; --c-throughput: #1a7f37;
}
@media (prefers-color-scheme: dark) {
  :root {
    --bg: #0d1117; --fg: #e6edf3; --muted: #9198a1; --line: #30363d; --panel: #161b22;
    --tile: #1f242c; --accent: #4493f8;
    --done: #3fb950; --rejected: #d29922; --failed: #f85149; --pending: #9198a1;
    --c-waiting: #4493f8; --c-in-flight: #ab7df8; --c-dead-letters: #f85149; --c-throughput: #3fb950;
  }
}
* { box-sizing: border-box; }
html { background: var(--bg); color: var(--fg); }
body {
  margin: 0 auto; padding: 1.5rem clamp(1rem, 3vw, 2.5rem) 3rem; max-width: 1400px;
  font: 15px/1.45 system-ui, -apple-system, "Segoe UI", Roboto, "Helvetica Neue", Arial, sans-serif;
}
h1 { font-size: 1.7rem; margin: 0 0 .25rem; overflow-wrap: anywhere; }
h2 { font-size: 1.25rem; margin: 2.25rem 0 .5rem; padding-bottom: .3rem; border-bottom: 1px solid var(--line); }
h3 { font-size: 1.05rem; margin: 1.25rem 0 .25rem; }
p { margin: .4rem 0; }
a { color: var(--accent); }
code, .mono { font-family: ui-monospace, SFMono-Regular, Menlo, Consolas, monospace; font-size: .9em; }
.muted, .origin, .empty { color: var(--muted); }
.empty { font-style: italic; }
header .meta { color: var(--muted); margin: 0; }
nav ul { list-style: none; padding: 0; margin: 1rem 0 0; display: flex; flex-wrap: wrap; gap: .25rem 1.25rem; }

.summary { display: grid; grid-template-columns: repeat(auto-fill, minmax(8.5rem, 1fr)); gap: .6rem; margin: 1rem 0 .6rem; }
.summary div { background: var(--panel); border: 1px solid var(--line); border-radius: 8px; padding: .55rem .8rem; }
.summary dt { color: var(--muted); font-size: .85rem; }
.summary dd { margin: 0; font-size: 1.45rem; font-weight: 600; font-variant-numeric: tabular-nums; }
.summary .done dd { color: var(--done); }
.summary .rejected dd { color: var(--rejected); }
.summary .failed dd { color: var(--failed); }
.summary .pending dd { color: var(--pending); }
.bar { display: flex; height: .6rem; border-radius: .3rem; overflow: hidden; background: var(--line); margin: 0 0 .4rem; }
.bar span { display: block; height: 100%; }
.bar .done { background: var(--done); } .bar .rejected { background: var(--rejected); }
.bar .failed { background: var(--failed); } .bar .pending { background: var(--pending); }

.sheet { list-style: none; padding: 0; margin: 1rem 0; display: grid; grid-template-columns: repeat(auto-fill, minmax(168px, 1fr)); gap: .9rem; }
.tile figure { margin: 0; background: var(--panel); border: 1px solid var(--line); border-radius: 8px; overflow: hidden; height: 100%; }
.frame {
  position: relative; aspect-ratio: 1; background-color: var(--tile);
  background-repeat: no-repeat; background-position: center; background-size: contain;
  display: flex; align-items: center; justify-content: center;
}
.frame img { position: absolute; inset: 0; width: 100%; height: 100%; object-fit: contain; }
.frame.no-image {
  background-image: repeating-linear-gradient(135deg, transparent 0 10px, rgba(127,127,127,.12) 10px 20px);
}
.stand-in { text-align: center; padding: .5rem; display: flex; flex-direction: column; gap: .3rem; align-items: center; }
.frame.has-placeholder .stand-in { background: color-mix(in srgb, var(--bg) 80%, transparent); border-radius: 6px; }
.stand-in .reason { font-family: ui-monospace, SFMono-Regular, Menlo, Consolas, monospace; font-size: .85rem; overflow-wrap: anywhere; }
.tile figcaption { padding: .45rem .6rem .6rem; font-size: .8rem; display: grid; gap: .15rem; }
.tile .key { font-weight: 600; white-space: nowrap; overflow: hidden; text-overflow: ellipsis; }
.tile .line { display: flex; align-items: center; gap: .35rem; flex-wrap: wrap; color: var(--muted); }
.swatch { display: inline-block; width: .95rem; height: .95rem; border-radius: 3px; border: 1px solid var(--line); vertical-align: -.15rem; }
.badge { display: inline-block; font-size: .7rem; font-weight: 700; letter-spacing: .03em; padding: .05rem .4rem; border-radius: 999px; border: 1px solid currentColor; }
.status-DONE { color: var(--done); }
.status-REJECTED { color: var(--rejected); }
.status-FAILED { color: var(--failed); }
.status-PENDING, .status-PROCESSING, .status-RETRYING { color: var(--pending); }
.omitted { font-weight: 600; }

.chart-figure { margin: 1rem 0 1.5rem; }
.chart-figure figcaption { color: var(--muted); font-size: .9rem; }
svg.chart { display: block; width: 100%; max-width: 900px; height: auto; background: var(--panel); border: 1px solid var(--line); border-radius: 8px; }
svg.chart text { fill: var(--muted); font-size: 12px; font-family: inherit; }
svg.chart .axis-label { fill: var(--fg); font-size: 12.5px; }
svg .grid { stroke: var(--line); stroke-width: 1; }
svg .axis { stroke: var(--muted); stroke-width: 1; }
svg .series { fill: none; stroke: currentColor; stroke-width: 2; stroke-linejoin: round; stroke-linecap: round; }
svg .dot { fill: currentColor; }
svg .area { opacity: .16; stroke: none; }
.series-waiting { color: var(--c-waiting); } .area-waiting { fill: var(--c-waiting); }
.series-in-flight { color: var(--c-in-flight); stroke-dasharray: 6 4; }
.series-dead-letters { color: var(--c-dead-letters); stroke-dasharray: 2 3; stroke-width: 2.5; }
.series-throughput { color: var(--c-throughput); } .area-throughput { fill: var(--c-throughput); }
.legend { list-style: none; padding: 0; margin: .4rem 0; display: flex; flex-wrap: wrap; gap: .3rem 1.2rem; font-size: .9rem; }
.legend li { display: flex; align-items: center; gap: .4rem; }

.scroll { overflow-x: auto; }
table { border-collapse: collapse; width: 100%; font-size: .9rem; margin: .5rem 0; }
caption { text-align: left; color: var(--muted); padding: .2rem 0 .4rem; }
th, td { text-align: left; vertical-align: top; padding: .4rem .6rem; border-bottom: 1px solid var(--line); }
thead th { background: var(--panel); font-weight: 600; }
td.num, th.num { text-align: right; font-variant-numeric: tabular-nums; white-space: nowrap; }
td .key, td code { overflow-wrap: anywhere; }
.examples { margin: 0; padding-left: 1.1rem; }
details.samples { margin: .5rem 0; }
details.samples summary { cursor: pointer; color: var(--accent); }
footer { margin-top: 3rem; color: var(--muted); font-size: .85rem; border-top: 1px solid var(--line); padding-top: .6rem; }
@media print { .frame.no-image { background-image: none; } details.samples { display: none; } }
`;
