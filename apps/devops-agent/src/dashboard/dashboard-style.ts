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
ol.timeline { padding-left: 1.2rem; margin: 0; }
ol.timeline li { margin: .15rem 0; }
#flash { margin: 0; flex-basis: 100%; }
footer { margin-top: 1rem; font-size: .85rem; }
`;

/** A small icon, so browsers do not ask for `/favicon.ico`. */
export const DASHBOARD_ICON =
  '<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 16 16"><circle cx="8" cy="8" r="7" fill="#2e7d32"/><path d="M4 8h2l1-3 2 6 1-3h2" stroke="#fff" stroke-width="1.5" fill="none"/></svg>';
