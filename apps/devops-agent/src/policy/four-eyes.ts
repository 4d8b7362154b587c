import { AppError } from '@atb/service-kit';
import type { Config } from '../config.js';
import type { Action } from '../store/agent-store.js';

/** The risk class that needs two different approvers when REQUIRE_SECOND_APPROVER=true (rollback, stop). */
export const FOUR_EYES_RISK = 'high';

/** What an approval by `approver` does: runs the action (`none` / `second`) or records the first of two (`first`). */
export type ApprovalStep = { needed: 'none' } | { needed: 'first' } | { needed: 'second'; firstApprover: string };

/**
 * Four eyes: with REQUIRE_SECOND_APPROVER=true a `high`-risk action runs only when a second
 * principal approves it after the first. The approver must differ from whoever last changed the
 * action (its first approver, kept in `approved_by` while it is pending): the same principal
 * approving twice is 409 `second_approver_required`, naming who approved first. The devops agent
 * proposes every action itself, so no person is its requester. Other risks need one approval.
 */
export function secondApproval(config: Pick<Config, 'REQUIRE_SECOND_APPROVER'>, action: Action, approver: string): ApprovalStep {
  if (!config.REQUIRE_SECOND_APPROVER || action.risk !== FOUR_EYES_RISK) return { needed: 'none' };
  const first = action.approved_by;
  if (first === null) return { needed: 'first' };
  if (first === approver) {
    throw new AppError(
      'second_approver_required',
      'user',
      409,
      `action ${action.id} (${action.operation}, ${action.risk} risk) needs a second approver: ${approver} already approved it; another operator must approve`,
      { field: 'id', details: { first_approver: first, risk: action.risk } },
    );
  }
  return { needed: 'second', firstApprover: first };
}
