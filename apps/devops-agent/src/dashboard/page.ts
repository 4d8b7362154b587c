import { html, type SafeHtml } from './html.js';

/** A panel the dashboard script re-fetches from `fragment` every refresh (an empty `fragment`: never). */
export interface Panel {
  id: string;
  fragment: string;
  content: SafeHtml;
}

/**
 * The page shell: a header with the "Your name" field used as the approval actor and the "API
 * token" field (kept in sessionStorage only, sent as the bearer header of decisions), the panels
 * (each re-fetched as an HTML fragment), and the one same-origin script. No inline script or
 * style, so the page works under `script-src 'self'; style-src 'self'`.
 */
export function renderPage(options: { title: string; panels: Panel[]; refreshMs: number; back?: boolean }): SafeHtml {
  return html`<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="referrer" content="no-referrer">
<title>${options.title}</title>
<link rel="icon" href="/dashboard/assets/favicon.svg" type="image/svg+xml">
<link rel="stylesheet" href="/dashboard/assets/dashboard.css">
<script src="/dashboard/assets/dashboard.js" defer></script>
</head>
<body data-refresh-ms="${options.refreshMs}">
<header>
  <h1>${options.back ? html`<a href="/dashboard">devops agent</a> › ` : 'devops agent — '}${options.title}</h1>
  <label>Your name (approval actor) <input id="actor" name="actor" maxlength="200" autocomplete="username" placeholder="e.g. alice"></label>
  <label>API token <input id="api-token" name="api-token" type="password" maxlength="1000" autocomplete="off" spellcheck="false" placeholder="AGENT_API_TOKEN or DATA_DIR/api-token"></label>
  <span id="connection" class="muted" aria-live="polite"></span>
  <p id="flash" aria-live="polite"></p>
</header>
<main>
${options.panels.map((panel) => html`<section id="${panel.id}" class="panel"${panel.fragment ? html` data-fragment="${panel.fragment}"` : ''}>${panel.content}</section>`)}
</main>
<footer class="muted">Refreshes every ${Math.round(options.refreshMs / 1000)}s · approvals go through <code>POST /actions/:id/approve|reject</code> (policy and audit) · <a href="/docs">API</a></footer>
</body>
</html>`;
}
