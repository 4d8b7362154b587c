/** The dashboard's stylesheet, served from `/dashboard/assets/dashboard.css` (`style-src 'self'`). */
export const DASHBOARD_STYLE = `
:root { color-scheme: light dark; --bad: #c62828; --good: #2e7d32; --warn: #b26a00; --info: #1565c0; --muted: #757575; }
* { box-sizing: border-box; }
body { font: 14px/1.4 system-ui, sans-serif; margin: 0; padding: 0 1rem 2rem; }
header { display: flex; flex-wrap: wrap; gap: 1rem; align-items: center; border-bottom: 1px solid #8884; padding: .5rem 0; }
header h1 { font-size: 1.2rem; margin: 0; flex: 1 1 auto; }
header a { color: inherit; }
h2 { font-size: 1.1rem; margin: 0 0 .5rem; }
h3 { font-size: 1rem; margin: 1rem 0 .3rem; }
.panel { border: 1px solid #8884; border-radius: 6px; padding: .75rem; margin: .75rem 0; overflow-x: auto; }
table { border-collapse: collapse; width: 100%; }
th, td { text-align: left; vertical-align: top; padding: .25rem .5rem; border-bottom: 1px solid #8882; }
th { font-weight: 600; font-size: .85rem; }
td.number, th.number { text-align: right; font-variant-numeric: tabular-nums; }
table.counts { width: auto; }
.columns { display: flex; flex-wrap: wrap; gap: 2rem; }
dl.facts { display: grid; grid-template-columns: max-content 1fr; gap: .2rem 1rem; margin: 0; }
dl.facts dt { font-weight: 600; }
dl.facts dd { margin: 0; overflow-wrap: anywhere; }
dl.labels { display: grid; grid-template-columns: max-content 1fr; gap: 0 .5rem; margin: 0; font-size: .85rem; }
dl.labels dt { color: var(--muted); }
dl.labels dd { margin: 0; overflow-wrap: anywhere; }
code { font-size: .85em; overflow-wrap: anywhere; }
.muted { color: var(--muted); }
.error { color: var(--bad); }
.ok { color: var(--good); }
.count { color: var(--muted); font-weight: normal; }
.badge { display: inline-block; padding: 0 .4rem; border-radius: 3px; font-size: .8rem; color: #fff; background: var(--muted); white-space: nowrap; }
.badge.good { background: var(--good); }
.badge.bad { background: var(--bad); }
.badge.warn { background: var(--warn); }
.badge.info { background: var(--info); }
form.decision { display: flex; flex-wrap: wrap; gap: .3rem; align-items: center; }
form.decision input { min-width: 14rem; }
button.approve { background: var(--good); color: #fff; border: 0; border-radius: 3px; padding: .25rem .75rem; cursor: pointer; }
button.reject { background: var(--bad); color: #fff; border: 0; border-radius: 3px; padding: .25rem .75rem; cursor: pointer; }
button:disabled { opacity: .5; }
h4 { font-size: .9rem; margin: .75rem 0 .2rem; }
pre.log-excerpt, pre.evidence-text { font-size: .8rem; white-space: pre-wrap; overflow-wrap: anywhere; margin: .3rem 0; padding: .4rem .5rem; border-left: 3px solid #8886; background: #8881; }
table.queries code.promql { word-break: break-all; }
ol.timeline { padding-left: 1.2rem; margin: 0; }
ol.timeline li { margin: .15rem 0; }
#flash { margin: 0; flex-basis: 100%; }
footer { margin-top: 1rem; font-size: .85rem; }
ul.fleet { list-style: none; padding: 0; margin: 0; display: grid; grid-template-columns: repeat(auto-fill, minmax(min(100%, 240px), 1fr)); gap: .75rem; }
li.tile { border: 1px solid #8886; border-left: 6px solid var(--muted); border-radius: 6px; padding: .5rem .75rem; }
li.tile.bad { border-left-color: var(--bad); } li.tile.warn { border-left-color: var(--warn); } li.tile.good { border-left-color: var(--good); } li.tile.info { border-left-color: var(--info); }
li.tile h3 { margin: 0 0 .3rem; }
nav.pages { display: flex; gap: 1rem; }
form.filters { display: flex; flex-wrap: wrap; gap: .5rem 1rem; align-items: end; margin-bottom: .75rem; }
form.filters label { display: flex; flex-direction: column; font-size: .85rem; }
nav.paging { margin-top: .5rem; display: flex; gap: 1rem; }
a:focus-visible, button:focus-visible, input:focus-visible, summary:focus-visible { outline: 3px solid var(--info); outline-offset: 2px; }
.charts { display: grid; grid-template-columns: repeat(auto-fit, minmax(min(100%, 560px), 1fr)); gap: 1rem; }
figure.chart { margin: 0; }
figure.chart figcaption { font-weight: 600; margin-bottom: .3rem; }
figure.chart svg { width: 100%; height: auto; display: block; }
svg .axis { stroke: currentColor; stroke-opacity: .5; }
svg .tick { font-size: 11px; fill: currentColor; }
svg polyline { fill: none; stroke-width: 2; }
svg rect { fill: var(--info); }
ul.legend { display: flex; flex-wrap: wrap; gap: .2rem 1rem; list-style: none; padding: 0; margin: .3rem 0; font-size: .85rem; }
ul.legend li::before { content: "■ "; }
.series-0 { stroke: #1565c0; fill: #1565c0; color: #1565c0; } .series-1 { stroke: #c62828; fill: #c62828; color: #c62828; }
.series-2 { stroke: #2e7d32; fill: #2e7d32; color: #2e7d32; } .series-3 { stroke: #b26a00; fill: #b26a00; color: #b26a00; }
.series-4 { stroke: #6a1b9a; fill: #6a1b9a; color: #6a1b9a; } .series-5 { stroke: #00838f; fill: #00838f; color: #00838f; }
.series-6 { stroke: #ad1457; fill: #ad1457; color: #ad1457; } .series-7 { stroke: #455a64; fill: #455a64; color: #455a64; }
g.series polyline { fill: none; }
ol#live-feed { padding-left: 1.2rem; margin: 0; max-height: 16rem; overflow-y: auto; }
@media (max-width: 600px) { body { padding: 0 .5rem 1rem; } dl.facts { grid-template-columns: 1fr; } form.decision input { min-width: 0; width: 100%; } }
`;

/** A small icon, so browsers do not ask for `/favicon.ico`. */
export const DASHBOARD_ICON =
  '<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 16 16"><circle cx="8" cy="8" r="7" fill="#2e7d32"/><path d="M4 8h2l1-3 2 6 1-3h2" stroke="#fff" stroke-width="1.5" fill="none"/></svg>';
