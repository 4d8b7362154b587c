/** Why the gateway refused a request; `code` labels the rejections metric and the audit record. */
export type RejectionCode =
  | 'forbidden_intent'
  | 'unrecognised_intent'
  | 'ambiguous_intent'
  | 'invalid_target_name'
  | 'invalid_source_id'
  | 'source_not_allowed'
  | 'target_mismatch'
  | 'unknown_operation'
  | 'not_allowlisted'
  | 'operation_not_allowed'
  | 'invalid_parameter'
  | 'rate_limited'
  | 'target_busy'
  | 'rollback_unsupported'
  | 'no_previous_image';

export interface Rejection {
  code: RejectionCode;
  reason: string;
  /** What would have been accepted instead, when the intent itself was the problem. */
  accepted_examples?: string[];
}

/** Intents the rule-based interpreter reads; shown when an intent is refused. */
export const ACCEPTED_EXAMPLES = [
  'restart the service',
  'restart market-predictor',
  'start it',
  'stop it',
  'show the last 200 log lines',
  'inspect',
  'show resource usage',
  'stats',
  'list containers',
  'roll back to the previous image',
];
