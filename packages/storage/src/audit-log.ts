/**
 * An append-only, hash-chained audit log. Every record carries the hash of the one before it,
 * so changing, removing or reordering any record breaks the chain and `verify()` says where.
 */
export interface AuditEntry {
  /** Who did it: a source id, a user, `devops-agent`, `policy`. */
  actor: string;
  /** What happened, noun-verb: `command-requested`, `action-approved`, `alert-received`. */
  action: string;
  /** What it happened to: a request id, an incident id, a container. */
  subject?: string;
  data?: Record<string, unknown>;
}

export interface AuditRecord {
  seq: number;
  timestamp: string;
  actor: string;
  action: string;
  subject: string;
  data: Record<string, unknown>;
  prev_hash: string;
  hash: string;
}

export interface AuditFilter {
  actor?: string;
  action?: string;
  subject?: string;
  /** ISO time, inclusive. */
  since?: string;
  /** ISO time, exclusive. */
  until?: string;
  /** Only records with a larger sequence number (paging). */
  after_seq?: number;
  /** Default 100, at most 1,000. */
  limit?: number;
}

export type AuditVerification =
  | { valid: true; count: number; head: string }
  | { valid: false; count: number; broken_at: number; reason: string };

export interface AuditLog {
  append(entry: AuditEntry): Promise<AuditRecord>;
  list(filter?: AuditFilter): Promise<AuditRecord[]>;
  verify(): Promise<AuditVerification>;
}

/** `prev_hash` of the first record. */
export const GENESIS_HASH = '0'.repeat(64);
