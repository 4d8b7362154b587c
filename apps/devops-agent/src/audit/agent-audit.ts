import type { AuditEntry, AuditLog } from '@atb/storage';
import type { FastifyBaseLogger } from 'fastify';

/** Who the agent itself is in the audit log. */
export const AGENT_ACTOR = 'devops-agent';

/**
 * Writes the agent's audit records (noun-verb actions: `alerts-received`, `analysis-completed`,
 * `action-decided`, `action-approved`, `action-started`, `action-finished`, …). A failed append
 * is logged loudly and re-thrown, so the step that needed it is retried by its job.
 */
export class AgentAudit {
  constructor(
    readonly log: AuditLog,
    private readonly logger: FastifyBaseLogger,
  ) {}

  /** The entry to commit with a change set (`ChangeSet.audit`): written in the same transaction as the change. */
  entry(action: string, subject: string, data: Record<string, unknown> = {}, actor = AGENT_ACTOR): AuditEntry {
    return { actor, action, subject, data };
  }

  async record(action: string, subject: string, data: Record<string, unknown> = {}, actor = AGENT_ACTOR): Promise<void> {
    try {
      await this.log.append({ actor, action, subject, data });
    } catch (error) {
      this.logger.error({ err: error, action, subject }, 'audit append failed');
      throw error;
    }
  }
}
