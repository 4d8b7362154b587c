import type { AgentPorts } from '../composition/agent-ports.js';

/** The ports this stage uses. */
export type NotifyPorts = Pick<AgentPorts, 'audit' | 'catalog' | 'changes' | 'config' | 'incidents'>;

/** A Slack-compatible incoming-webhook message: `text` for every client, `blocks` for rich ones. */
export interface EscalationMessage {
  text: string;
  blocks: Record<string, unknown>[];
  /** The service's escalation channel (its catalog entry's `escalation_channel`), when it names one. */
  channel?: string;
}

/** The message sent when an incident is escalated: summary, analysis, and links. */
export function escalationMessage(
  incident: { id: string; alertname: string; service: string; severity: string; title: string; flap_count: number; analysis: { analysis: { description: string; root_cause: string; confidence: number } } | null },
  reason: string,
  publicUrl: string,
): EscalationMessage {
  const link = `${publicUrl}/incidents/${incident.id}`;
  const analysis = incident.analysis?.analysis;
  const text = `:rotating_light: Escalated: ${incident.title} (${incident.alertname} on ${incident.service}, ${incident.severity}) — ${reason}. ${link}`;
  return {
    text,
    blocks: [
      { type: 'header', text: { type: 'plain_text', text: `Escalated: ${incident.alertname} on ${incident.service}`.slice(0, 150) } },
      {
        type: 'section',
        text: {
          type: 'mrkdwn',
          text: [
            `*Why:* ${reason}`,
            analysis ? `*Seen:* ${analysis.description.slice(0, 500)}` : undefined,
            analysis ? `*Likely cause:* ${analysis.root_cause.slice(0, 800)} (confidence ${analysis.confidence})` : undefined,
            incident.flap_count > 0 ? `*Flapping:* re-opened ${incident.flap_count} time(s)` : undefined,
          ]
            .filter(Boolean)
            .join('\n')
            .slice(0, 2900),
        },
      },
      {
        type: 'context',
        elements: [{ type: 'mrkdwn', text: `<${link}|incident ${incident.id}> · <${publicUrl}/actions?status=pending|pending actions> · <${publicUrl}/audit?subject=${incident.id}|audit>` }],
      },
    ],
  };
}

/**
 * Job `notify-escalation`: posts the escalation to ESCALATION_WEBHOOK_URL, addressed to the
 * service's escalation channel and naming its owners (catalog entry); a failed post throws
 * and is retried with backoff. Without a webhook the escalation is only recorded.
 */
export async function notifyEscalation(dependencies: NotifyPorts, payload: { incident_id: string; reason: string }, publicUrl: string): Promise<void> {
  const { config, audit } = dependencies;
  const incident = await dependencies.incidents.get(payload.incident_id);
  if (!incident) return;
  if (!config.ESCALATION_WEBHOOK_URL) {
    await dependencies.changes.commit({ events: [{ incident_id: incident.id, type: 'escalation-recorded', data: { reason: payload.reason, notified: false } }] });
    return;
  }
  const entry = dependencies.catalog.get(incident.service);
  const owners = entry && entry.owners.length > 0 ? ` Owners: ${entry.owners.join(', ')}.` : '';
  const base = escalationMessage(incident, payload.reason, publicUrl);
  const message: EscalationMessage = { ...base, text: `${base.text}${owners}`, ...(entry?.escalation_channel ? { channel: entry.escalation_channel } : {}) };
  const response = await fetch(config.ESCALATION_WEBHOOK_URL, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(message),
    signal: AbortSignal.timeout(10_000),
  });
  if (!response.ok) throw new Error(`escalation webhook answered ${response.status}`);
  await dependencies.changes.commit({ events: [{ incident_id: incident.id, type: 'escalation-notified', data: { reason: payload.reason } }] });
  await audit.record('escalation-notified', incident.id, { reason: payload.reason });
}
