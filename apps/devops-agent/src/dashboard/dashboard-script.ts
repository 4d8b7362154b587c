/**
 * The dashboard's one script, served from `/dashboard/assets/dashboard.js` (same origin, so the
 * page can run under `script-src 'self'` with no inline code). It is kept as a string in a module
 * so that it ships with the agent both from source and from `dist/`, with no bundler.
 *
 * What it does: it follows the agent's timeline at `data-events` (server-sent events; the browser
 * resumes after the last id with `Last-Event-ID`), lists each entry under "Live" and re-fetches
 * the panels at once, so a new incident, a proposed action, an approval or a verification shows
 * without a reload (on an incident page, only that incident's entries). Also every `data-refresh-ms` it re-fetches each `[data-fragment]` panel
 * (server-rendered, escaped HTML, with the session cookie) and swaps it in, keeping typed reasons
 * and skipping a panel while you type in it, while one of its buttons has the keyboard focus, or
 * while a form in it is being sent. A 401 means
 * the session ended (signed out elsewhere, or expired): it goes to the sign-in page. Decisions
 * need no script: they are plain HTML forms carrying the session's CSRF token. Messages are set
 * with `textContent`, never as HTML.
 */
export const DASHBOARD_SCRIPT = String.raw`'use strict';
(function () {
  var body = document.body;
  var refreshMs = Number(body.dataset.refreshMs) || 3000;
  var connection = document.getElementById('connection');
  var refreshing = false;
  var again = false;
  var liveFeed = document.getElementById('live-feed');
  var incident = body.dataset.incident;

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

  // A panel holding the focus (a field being typed in, a button reached by keyboard) is left alone.
  function typingIn(panel) {
    var active = document.activeElement;
    return active && /^(INPUT|SELECT|TEXTAREA|BUTTON)$/.test(active.tagName) && panel.contains(active);
  }

  async function refresh() {
    if (refreshing) {
      again = true;
      return;
    }
    refreshing = true;
    try {
      var panels = Array.prototype.slice.call(document.querySelectorAll('[data-fragment]'));
      var answers = await Promise.all(panels.map(function (panel) {
        if (typingIn(panel) || panel.querySelector('form[data-busy]')) return null;
        return fetch(panel.dataset.fragment, { headers: { accept: 'text/html' }, cache: 'no-store', credentials: 'same-origin' })
          .then(function (response) {
            if (response.status === 401) {
              window.location.assign('/dashboard/sign-in');
              throw new Error('signed out');
            }
            if (!response.ok) throw new Error(panel.dataset.fragment + ' answered ' + response.status);
            return response.text();
          });
      }));
      panels.forEach(function (panel, index) {
        var text = answers[index];
        if (text === null || typingIn(panel) || panel.querySelector('form[data-busy]')) return;
        var saved = typedReasons(panel);
        panel.innerHTML = text; // server-rendered; every value in it is escaped by the agent
        restoreReasons(panel, saved);
      });
      say(connection, 'updated ' + new Date().toLocaleTimeString(), 'ok');
    } catch (error) {
      say(connection, 'agent unreachable: ' + error.message, 'error');
    } finally {
      refreshing = false;
      if (again) {
        again = false;
        refresh();
      }
    }
  }

  function show(entry) {
    if (!liveFeed) return;
    var item = document.createElement('li');
    item.dataset.eventId = String(entry.id);
    item.dataset.type = entry.type;
    var time = document.createElement('time');
    time.textContent = new Date(entry.at).toLocaleTimeString() + ' ';
    var link = document.createElement('a');
    link.href = '/dashboard/incidents/' + encodeURIComponent(entry.incident_id);
    link.textContent = entry.incident_id;
    item.appendChild(time);
    item.appendChild(document.createTextNode(entry.type + ' · '));
    item.appendChild(link);
    liveFeed.insertBefore(item, liveFeed.firstChild);
    while (liveFeed.children.length > 50) liveFeed.removeChild(liveFeed.lastChild);
  }

  function follow(url) {
    var source = new EventSource(url);
    source.addEventListener('timeline', function (message) {
      var entry = JSON.parse(message.data);
      if (incident && entry.incident_id !== incident) return;
      show(entry);
      refresh();
    });
    source.addEventListener('open', function () {
      say(connection, 'live', 'ok');
    });
    source.addEventListener('error', function () {
      say(connection, 'live stream interrupted; reconnecting', 'error');
    });
  }

  if (body.dataset.events && window.EventSource) follow(body.dataset.events);

  // A form being sent is never swapped out from under the browser.
  document.addEventListener('submit', function (event) {
    if (event.target && event.target.dataset) event.target.dataset.busy = 'true';
  });

  setInterval(refresh, refreshMs);
})();
`;
