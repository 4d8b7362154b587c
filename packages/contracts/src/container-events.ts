import { z } from 'zod';

/**
 * What the command gateway streams at `GET /events` (server-sent events): one message per
 * lifecycle change of an allowlisted container (or of a process `atb up` supervises). The SSE
 * `event:` field is the `type`, the `id:` field is the `id`, and `data:` is the JSON document.
 */

/** Container lifecycle events, noun-verb. */
export const CONTAINER_EVENT_TYPES = [
  'container-started',
  'container-stopped',
  'container-died',
  'container-restarted',
  'container-oom',
  'container-health-changed',
] as const;
export const containerEventTypeSchema = z.enum(CONTAINER_EVENT_TYPES);
export type ContainerEventType = z.infer<typeof containerEventTypeSchema>;

/**
 * Who caused the change: `gateway` when it falls inside a restart, stop or start the gateway
 * itself carried out (then `request_id` names that request, and a consumer opens no incident
 * for it); `external` for everything else (a crash, an OOM kill, someone at a shell).
 */
export const INITIATORS = ['gateway', 'external'] as const;

export const containerEventSchema = z
  .object({
    /** Monotonic within one gateway and across its restarts (a larger id is a later event). */
    id: z.string().regex(/^\d+$/),
    type: containerEventTypeSchema,
    /** The container (or supervised process) name. */
    target: z.string().min(1).max(253),
    container_id: z.string().min(1),
    /** The container's labels, as the engine reports them (absent from older gateways and from processes). */
    labels: z.record(z.string(), z.string()).optional(),
    /** When the engine saw it (ISO 8601, UTC). */
    time: z.string().datetime(),
    /** `docker` or `process`. */
    runtime: z.string().min(1),
    /** `container-died`: the exit code (137 = SIGKILL, also an OOM kill). */
    exit_code: z.number().int().optional(),
    /** `container-health-changed`: `healthy`, `unhealthy` or `starting`. */
    health_status: z.string().optional(),
    initiated_by: z.enum(INITIATORS),
    /** Set when `initiated_by` is `gateway`: the request that did it. */
    request_id: z.string().optional(),
    /** Set when `initiated_by` is `gateway`: `restart`, `stop` or `start`. */
    operation: z.string().optional(),
  })
  .refine((event) => (event.initiated_by === 'gateway') === (event.request_id !== undefined), {
    message: 'request_id is set exactly when initiated_by is gateway',
    path: ['request_id'],
  });
export type ContainerEvent = z.infer<typeof containerEventSchema>;

/**
 * Sent first on a resumed stream when events after the client's `Last-Event-ID` are no longer
 * held (the buffer moved on, or the gateway restarted): the client should reconcile its view
 * (inspect the targets) instead of assuming it saw everything. No `id:` line, so it does not
 * move the client's position.
 */
export const eventsMissedSchema = z.object({
  type: z.literal('events-missed'),
  last_event_id: z.string(),
  /** The oldest event still held (replayed next), if any. */
  oldest_event_id: z.string().optional(),
  message: z.string(),
});
export type EventsMissed = z.infer<typeof eventsMissedSchema>;
