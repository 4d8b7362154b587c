import { z } from 'zod';
import { runbookSchema } from '../analysis/runbooks.js';

/** Container and service names: what the gateway accepts as a target name. */
const NAME = /^[a-zA-Z0-9][a-zA-Z0-9_.-]{0,127}$/;
const nameSchema = z.string().regex(NAME, 'expected letters, digits, _ . - (at most 128, starting with a letter or digit)');
const labelsSchema = z.record(z.string().min(1).max(256), z.string().min(1).max(256));

/** A set of alert labels that must all be equal for an alert to belong to a service. */
const matcherSchema = labelsSchema.refine((labels) => Object.keys(labels).length > 0, 'expected at least one label');

const healthSchema = z
  .object({
    /** Base URL; the probe GETs `<url>/health`. */
    url: z.url({ protocol: /^https?$/, message: 'expected an http(s) URL' }),
    /** Seconds between probes; default 30. */
    interval_seconds: z.number().min(0.05).max(86_400).default(30),
    /** Seconds before a probe counts as failed; default 10. */
    timeout_seconds: z.number().min(0.05).max(600).default(10),
    /** The one HTTP status that counts as up; unset: any answer below 500 whose body does not say unhealthy. */
    expected_status: z.number().int().min(100).max(599).optional(),
    /** Answers slower than this raise a "slow" alert; default 2000. */
    slow_threshold_ms: z.number().int().min(1).default(2000),
  })
  .strict();

const targetSchema = z
  .object({
    /** The container (the gateway's `target_resource.name`) actions go to. */
    container: nameSchema.optional(),
    /** Labels the service's containers carry; the alert's `container` label names the one to act on. */
    labels: labelsSchema.optional(),
  })
  .strict()
  .refine((target) => target.container !== undefined || target.labels !== undefined, 'expected container or labels');

/** One service of the catalog, as written in SERVICES_FILE. */
export const serviceEntrySchema = z
  .object({
    name: nameSchema,
    /** Alert label matchers; an alert belongs to the service when every label of one matcher is equal. Default: `[{ service: <name> }]`. */
    alerts: z.array(matcherSchema).min(1).optional(),
    /** Polling-mode health check; unset: the service is not polled. */
    health: healthSchema.optional(),
    /** Where actions go; default `{ container: <name> }`. */
    target: targetSchema.optional(),
    owners: z.array(z.string().min(1).max(200)).default([]),
    /** Where escalations of this service are addressed (a channel or address); unset: the default escalation webhook only. */
    escalation_channel: z.string().min(1).max(200).optional(),
    /** Repository coding tasks of this service are opened against; default CODING_TASK_REPOSITORY. */
    repository: z.string().min(1).max(200).optional(),
    /** Runbooks tried before the shared ones, for this service's alerts. */
    runbooks: z.array(runbookSchema).default([]),
    /** False: no action on this service ever runs on its own; each waits for a human. Default true. */
    autonomous: z.boolean().default(true),
  })
  .strict();

export const catalogFileSchema = z.object({ services: z.array(serviceEntrySchema).min(1) }).strict();

export type ServiceEntryInput = z.input<typeof serviceEntrySchema>;

/** A catalog entry with its defaults filled in. */
export interface ServiceEntry {
  name: string;
  /** Alert label matchers (an empty matcher takes every alert). */
  alerts: Record<string, string>[];
  health: z.output<typeof healthSchema> | undefined;
  target: {
    container?: string | undefined;
    labels?: Record<string, string> | undefined;
    /**
     * Legacy one-entry catalog only: the alert's `container` label, else its `service` label,
     * names the target before `container` does.
     */
    fromAlert?: boolean;
  };
  owners: string[];
  escalation_channel: string | undefined;
  repository: string | undefined;
  runbooks: z.output<typeof runbookSchema>[];
  autonomous: boolean;
}

/** The entry with its defaults: matchers `[{ service: name }]`, target `{ container: name }`. */
export function withDefaults(entry: z.output<typeof serviceEntrySchema>): ServiceEntry {
  return {
    name: entry.name,
    alerts: entry.alerts ?? [{ service: entry.name }],
    health: entry.health,
    target: entry.target ?? { container: entry.name },
    owners: entry.owners,
    escalation_channel: entry.escalation_channel,
    repository: entry.repository,
    runbooks: entry.runbooks,
    autonomous: entry.autonomous,
  };
}
