import { html, type SafeHtml } from './html.js';
import { documentHead } from './page.js';

/**
 * The sign-in page: an API token (per-principal, from `atb token create`, or the agent's own
 * token) in a password field, posted with the form's one-time CSRF value. No script needed.
 */
export function renderSignIn(options: { nonce: string; error?: string; proxy?: boolean }): SafeHtml {
  return html`<!doctype html>
${documentHead('sign in')}
</head>
<body>
<header><h1>devops agent — sign in</h1></header>
<main>
<section class="panel" id="sign-in">
${options.error ? html`<p class="error" id="sign-in-error" role="alert">${options.error}</p>` : ''}
<form method="post" action="/dashboard/sign-in">
  <input type="hidden" name="_csrf" value="${options.nonce}">
  <label>API token <input id="token" name="token" type="password" required maxlength="1000" autocomplete="off" spellcheck="false" placeholder="atb_… from atb token create"></label>
  <button type="submit" id="sign-in-button">Sign in</button>
</form>
<p class="muted">Your token names you in the audit log: approvals and rejections are recorded under its principal.${options.proxy ? ' Behind the sign-in proxy you are signed in automatically.' : ''}</p>
</section>
</main>
</body>
</html>`;
}

/** A refused form post (wrong CSRF token, missing role, a decision the policy refused): the status, why, and the way back. */
export function renderRefusal(options: { status: number; message: string; back: string }): SafeHtml {
  return html`<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="referrer" content="no-referrer">
<title>refused (${options.status})</title>
<link rel="stylesheet" href="/dashboard/assets/dashboard.css">
</head>
<body>
<header><h1>devops agent — refused</h1></header>
<main><section class="panel" id="refusal"><h2>${options.status}</h2><p class="error" id="refusal-message">${options.message}</p><p><a href="${options.back}">Back</a></p></section></main>
</body>
</html>`;
}
