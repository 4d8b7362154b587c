import { z } from 'zod';

/**
 * What the devops agent streams at `GET /dashboard/events` (server-sent events): one message per
 * entry of its incidents' timelines — incident opened or changed, action proposed, approved,
 * started and finished, verification — in the order they were stored. The SSE `id:` field is
 * the entry's `id` (a client resumes with `Last-Event-ID`), `event:` is `timeline`, and `data:`
 * is the JSON document below.
 */
export const agentTimelineEventSchema = z
  .object({
    /** The timeline entry's id: a larger id is a later entry; resuming after it skips none. */
    id: z.number().int().positive(),
    incident_id: z.string().min(1),
    /** When it was stored (ISO 8601, UTC). */
    at: z.string(),
    /** noun-verb: `incident-opened`, `action-proposed`, `action-approved`, `action-verified`, … */
    type: z.string().min(1),
    data: z.record(z.string(), z.unknown()),
  })
  .strict();
export type AgentTimelineEvent = z.infer<typeof agentTimelineEventSchema>;
