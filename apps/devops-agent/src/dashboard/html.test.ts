import { describe, expect, it } from 'vitest';
import { age, timeUntil } from './format.js';
import { escapeHtml, html, link, safeHref } from './html.js';

describe('dashboard html', () => {
  it('escapes every interpolated value, keeps nested fragments, drops empty values', () => {
    const hostile = `"><img src=x onerror=alert(1)><script>alert('x')</script>\`&`;
    expect(escapeHtml(hostile)).toBe('&quot;&gt;&lt;img src=x onerror=alert(1)&gt;&lt;script&gt;alert(&#39;x&#39;)&lt;/script&gt;&#96;&amp;');
    const fragment = html`<td title="${hostile}">${hostile}</td>`;
    expect(fragment.value).not.toContain('<img');
    expect(fragment.value).not.toContain('<script');
    expect(fragment.value.match(/"/g)).toHaveLength(2);
    const nested = html`<tr>${[fragment, html`<td>${1}</td>`]}${undefined}${null}${false}${0}</tr>`;
    expect(nested.value).toBe(`<tr>${fragment.value}<td>1</td>0</tr>`);
  });

  it('links only http(s) and same-origin paths', () => {
    expect(safeHref('https://github.com/o/r/pull/1')).toBe('https://github.com/o/r/pull/1');
    expect(safeHref('/dashboard')).toBe('/dashboard');
    for (const bad of ['javascript:alert(1)', ' javascript:alert(1)', 'JaVaScRiPt:alert(1)', 'data:text/html,<b>', '//evil.example/x', 'vbscript:x', '']) {
      expect(safeHref(bad), bad).toBeUndefined();
    }
    expect(link('javascript:alert(1)').value).toBe('javascript:alert(1)');
    expect(link('https://x.example/?a="b"', 'PR').value).toBe('<a href="https://x.example/?a=%22b%22" rel="noopener noreferrer">PR</a>');
  });

  it('formats ages', () => {
    const now = Date.parse('2026-01-02T00:00:00Z');
    expect(age('2026-01-01T23:59:18Z', now)).toBe('42s');
    expect(age('2026-01-01T23:55:00Z', now)).toBe('5m');
    expect(age('2026-01-01T20:50:00Z', now)).toBe('3h 10m');
    expect(age('2025-12-30T20:00:00Z', now)).toBe('2d 4h');
    expect(age('not a time', now)).toBe('');
    expect(timeUntil('2026-01-02T00:59:00Z', now).value).toContain('>in 59m<');
    expect(timeUntil('2026-01-01T00:00:00Z', now).value).toContain('>due<');
  });
});
