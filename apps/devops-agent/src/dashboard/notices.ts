import type { ActionStore } from '../store/action-store.js';
import { html, type SafeHtml } from './html.js';

/**
 * The line shown after a decision form redirects back (`?decided=<action id>`): what the action
 * is now and who decided, read from the store — never text taken from the URL.
 */
export async function decisionNotice(actions: Pick<ActionStore, 'get'>, id: string | undefined): Promise<SafeHtml | undefined> {
  if (!id) return undefined;
  const action = await actions.get(id);
  if (!action) return undefined;
  if (action.status === 'pending' && action.approved_by) {
    return html`<span class="ok" id="notice">${action.operation} ${action.target}: first approval by ${action.approved_by}; a second approver must approve</span>`;
  }
  return html`<span class="ok" id="notice">${action.operation} ${action.target}: ${action.status} by ${action.approved_by ?? 'nobody'}</span>`;
}
