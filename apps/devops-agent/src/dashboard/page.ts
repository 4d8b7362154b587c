import type { DashboardViewer } from '../auth/dashboard-auth.js';
import { html, type SafeHtml } from './html.js';

/** A panel the dashboard script re-fetches from `fragment` every refresh (an empty `fragment`: never). */
export interface Panel {
  id: string;
  fragment: string;
  content: SafeHtml;
}

/** The start of every dashboard document up to the stylesheet: charset, viewport, no referrer, title, icon. */
export function documentHead(title: string): SafeHtml {
  return html`<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="referrer" content="no-referrer">
<title>${title}</title>
<link rel="icon" href="/dashboard/assets/favicon.svg" type="image/svg+xml">
<link rel="stylesheet" href="/dashboard/assets/dashboard.css">`;
}

/** Who is signed in, with the sign-out form (its CSRF token) — or a link to sign in. */
export function renderIdentity(viewer: DashboardViewer | undefined): SafeHtml {
  if (!viewer?.principal) return html`<span id="identity">Not signed in · <a href="/dashboard/sign-in">Sign in</a></span>`;
  const signOut = viewer.csrf
    ? html`<form method="post" action="/dashboard/sign-out" class="sign-out"><input type="hidden" name="_csrf" value="${viewer.csrf}"><button type="submit">Sign out</button></form>`
    : '';
  return html`<span id="identity">Signed in as <strong id="principal">${viewer.principal.name}</strong> <span class="muted" id="role">(${viewer.principal.role})</span></span>${signOut}`;
}

/**
 * The page shell: a header naming the signed-in principal (the one the audit records for every
 * decision) with a sign-out form, the panels (each re-fetched as an HTML fragment), and the one
 * same-origin script. No inline script or style, so the page works under
 * `script-src 'self'; style-src 'self'`.
 */
export function renderPage(options: {
  title: string;
  panels: Panel[];
  refreshMs: number;
  /** The timeline stream the script follows (refreshing the panels on each entry). */
  events?: string;
  /** On an incident page: only this incident's entries refresh it. */
  incident?: string;
  back?: boolean;
  viewer?: DashboardViewer;
  notice?: SafeHtml;
}): SafeHtml {
  return html`<!doctype html>
${documentHead(options.title)}
<script src="/dashboard/assets/dashboard.js" defer></script>
</head>
<body data-refresh-ms="${options.refreshMs}"${options.events ? html` data-events="${options.events}"` : ''}${options.incident ? html` data-incident="${options.incident}"` : ''}>
<header>
  <h1>${options.back ? html`<a href="/dashboard">devops agent</a> › ` : 'devops agent — '}${options.title}</h1>
  <nav class="pages" aria-label="pages"><a href="/dashboard">Overview</a><a href="/dashboard/incidents">Incidents</a><a href="/dashboard/actions">Actions</a><a href="/dashboard/charts">Charts</a></nav>
  ${renderIdentity(options.viewer)}
  <span id="connection" class="muted" aria-live="polite"></span>
  <p id="flash" aria-live="polite">${options.notice ?? ''}</p>
</header>
<main>
${options.panels.map((panel) => html`<section id="${panel.id}" class="panel"${panel.fragment ? html` data-fragment="${panel.fragment}"` : ''}>${panel.content}</section>`)}
${options.events ? html`<section id="live" class="panel" aria-labelledby="live-heading"><h2 id="live-heading">Live</h2><ol id="live-feed" aria-live="polite"></ol></section>` : ''}
</main>
<footer class="muted">Live from the agent's timeline; also refreshes every ${Math.round(options.refreshMs / 1000)}s · decisions go through the same policy and audit as <code>POST /actions/:id/approve|reject</code>, recorded under your principal · <a href="/docs">API</a></footer>
</body>
</html>`;
}
