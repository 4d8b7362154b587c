/**
 * The dashboard's one script, served from `/dashboard/assets/dashboard.js` (same origin, so the
 * page can run under `script-src 'self'` with no inline code). It is kept as a string in a module
 * so that it ships with the agent both from source and from `dist/`, with no bundler.
 *
 * What it does:
 * - every `data-refresh-ms` it re-fetches each `[data-fragment]` panel (server-rendered, escaped
 *   HTML) and swaps it in, keeping typed reasons and skipping a panel while you type in it;
 * - Approve / Reject buttons send `{ actor, reason }` as JSON to the agent's own
 *   `POST /actions/:id/approve|reject` — the same route, policy and audit as the API and the CLI.
 *   The actor is the "Your name" field (remembered in localStorage); a reject needs a reason.
 *   They carry `Authorization: Bearer <token>` from the "API token" field, which is kept in
 *   sessionStorage only (never a cookie or the URL: it dies with the tab); a 401 says so plainly.
 * - messages are set with `textContent`, never as HTML.
 */
export const DASHBOARD_SCRIPT = String.raw`'use strict';
(function () {
  var body = document.body;
  var refreshMs = Number(body.dataset.refreshMs) || 3000;
  var actorInput = document.getElementById('actor');
  var tokenInput = document.getElementById('api-token');
  var connection = document.getElementById('connection');
  var flash = document.getElementById('flash');
  var ACTOR_KEY = 'atb-dashboard-actor';
  var TOKEN_KEY = 'atb-dashboard-token';
  var refreshing = false;
  var refreshAgain = false;

  try { actorInput.value = window.localStorage.getItem(ACTOR_KEY) || ''; } catch (error) { /* storage disabled */ }
  actorInput.addEventListener('input', function () {
    try { window.localStorage.setItem(ACTOR_KEY, actorInput.value.trim()); } catch (error) { /* storage disabled */ }
  });
  try { tokenInput.value = window.sessionStorage.getItem(TOKEN_KEY) || ''; } catch (error) { /* storage disabled */ }
  tokenInput.addEventListener('input', function () {
    try { window.sessionStorage.setItem(TOKEN_KEY, tokenInput.value.trim()); } catch (error) { /* storage disabled */ }
  });

  function authorized(headers) {
    var token = tokenInput.value.trim();
    if (token) headers.authorization = 'Bearer ' + token;
    return headers;
  }

  function say(element, text, tone) {
    if (!element) return;
    element.textContent = text;
    element.className = element.className.replace(/\b(ok|error)\b/g, '').trim() + (tone ? ' ' + tone : '');
  }

  function typedReasons(panel) {
    var saved = [];
    panel.querySelectorAll('form.decision').forEach(function (form) {
      var input = form.elements.namedItem('reason');
      if (input && input.value) saved.push([form.dataset.actionId, input.value]);
    });
    return saved;
  }

  function restoreReasons(panel, saved) {
    saved.forEach(function (entry) {
      panel.querySelectorAll('form.decision').forEach(function (form) {
        if (form.dataset.actionId === entry[0]) form.elements.namedItem('reason').value = entry[1];
      });
    });
  }

  function typingIn(panel) {
    var active = document.activeElement;
    return active && active.tagName === 'INPUT' && panel.contains(active);
  }

  async function refresh() {
    if (refreshing) {
      refreshAgain = true; // a decision just landed: refresh once more when this one ends
      return;
    }
    refreshing = true;
    refreshAgain = false;
    try {
      var panels = Array.prototype.slice.call(document.querySelectorAll('[data-fragment]'));
      var answers = await Promise.all(panels.map(function (panel) {
        if (typingIn(panel) || panel.querySelector('form.decision[data-busy]')) return null;
        return fetch(panel.dataset.fragment, { headers: authorized({ accept: 'text/html' }), cache: 'no-store', credentials: 'same-origin' })
          .then(function (response) {
            if (!response.ok) throw new Error(panel.dataset.fragment + ' answered ' + response.status);
            return response.text();
          });
      }));
      panels.forEach(function (panel, index) {
        var text = answers[index];
        if (text === null || typingIn(panel)) return;
        var saved = typedReasons(panel);
        panel.innerHTML = text; // server-rendered; every value in it is escaped by the agent
        restoreReasons(panel, saved);
      });
      say(connection, 'updated ' + new Date().toLocaleTimeString(), 'ok');
    } catch (error) {
      say(connection, 'agent unreachable: ' + error.message, 'error');
    } finally {
      refreshing = false;
      if (refreshAgain) refresh();
    }
  }

  async function decide(form, decision) {
    var output = form.querySelector('output');
    var reasonInput = form.elements.namedItem('reason');
    var actor = actorInput.value.trim();
    var reason = reasonInput.value.trim();
    if (!actor) {
      say(output, 'Enter your name at the top first: it is recorded in the audit log.', 'error');
      actorInput.focus();
      return;
    }
    if (decision === 'reject' && !reason) {
      say(output, 'A reason is required to reject.', 'error');
      reasonInput.focus();
      return;
    }
    if (!tokenInput.value.trim()) {
      say(output, 'Enter the API token at the top first (AGENT_API_TOKEN, or the api-token file in the agent\'s DATA_DIR).', 'error');
      tokenInput.focus();
      return;
    }
    form.dataset.busy = 'true';
    form.querySelectorAll('button').forEach(function (button) { button.disabled = true; });
    try {
      var payload = reason ? { actor: actor, reason: reason } : { actor: actor };
      var response = await fetch('/actions/' + encodeURIComponent(form.dataset.actionId) + '/' + decision, {
        method: 'POST',
        headers: authorized({ 'content-type': 'application/json', accept: 'application/json' }),
        credentials: 'same-origin',
        body: JSON.stringify(payload),
      });
      var answer = await response.json().catch(function () { return {}; });
      if (response.ok) {
        var done = (decision === 'approve' ? 'Approved ' : 'Rejected ') + (answer.operation || '') + ' ' + (answer.target || '') + ' as ' + actor + ' (' + answer.status + ')';
        say(output, done, 'ok');
        say(flash, done, 'ok');
      } else if (response.status === 401) {
        var refused = '401: the agent refused the API token (' + (answer.message || 'unauthenticated') + '). Check the API token field: nothing was ' + (decision === 'approve' ? 'approved.' : 'rejected.');
        say(output, refused, 'error');
        say(flash, refused, 'error'); // outlives the panel refresh below
        tokenInput.focus();
      } else {
        say(output, response.status + ': ' + (answer.message || 'refused'), 'error');
      }
    } catch (error) {
      say(output, 'request failed: ' + error.message, 'error');
    } finally {
      delete form.dataset.busy;
      form.querySelectorAll('button').forEach(function (button) { button.disabled = false; });
    }
    await refresh();
  }

  // Enter in a reason field must never approve anything: only the buttons decide.
  document.addEventListener('submit', function (event) {
    if (event.target.matches && event.target.matches('form.decision')) event.preventDefault();
  });
  document.addEventListener('click', function (event) {
    var button = event.target.closest && event.target.closest('form.decision button[data-decision]');
    if (!button) return;
    event.preventDefault();
    var decision = button.dataset.decision;
    if (decision !== 'approve' && decision !== 'reject') return;
    decide(button.closest('form'), decision);
  });

  setInterval(refresh, refreshMs);
})();
`;
