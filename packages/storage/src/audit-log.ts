/**
 * An append-only, hash-chained audit log. Every record carries the hash of the one before it,
 * so changing, removing or reordering any record breaks the chain and `verify()` says where.
 * With a key the hashes are HMAC-SHA-256, so someone who can write the database but does not
 * hold the key cannot recompute them; the chain head written outside the database (the anchor)
 * makes a cut-off tail visible too.
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
  | {
      valid: true;
      count: number;
      head: string;
      /** Whether the log is keyed (HMAC); absent on an unkeyed log. */
      keyed?: boolean;
      /** Records at the start of a keyed log written before it was keyed (plain SHA-256). */
      legacy_unkeyed?: number;
      /** Highest sequence number the anchor file records (0: none yet); absent without an anchor file. */
      anchored_seq?: number;
    }
  | { valid: false; count: number; broken_at: number; reason: string };

export interface AuditLog {
  append(entry: AuditEntry): Promise<AuditRecord>;
  list(filter?: AuditFilter): Promise<AuditRecord[]>;
  verify(): Promise<AuditVerification>;
}

/** `prev_hash` of the first record. */
export const GENESIS_HASH = '0'.repeat(64);
