import { type ToolSet, tool } from 'ai';
import { z } from 'zod';
import { redactSecrets } from './redaction.js';
import { fitToBudget, toolOutputText } from './tool-output-budget.js';

/**
 * The read-only ports an investigation may use, supplied by the agent (packages/llm never
 * imports an app). Only the ports given become tools; none of them can change anything.
 */
export interface InvestigationPorts {
  /** Instant PromQL query against `PROMETHEUS_URL`. */
  prometheusQuery?(query: string, signal?: AbortSignal): Promise<unknown>;
  /** LogQL query against `LOKI_URL` over the last `since_minutes`. */
  lokiQuery?(query: string, options: { since_minutes: number; limit: number }, signal?: AbortSignal): Promise<unknown>;
  /** Last `tail` log lines of a container, through the gateway's read-only `logs` operation. */
  containerLogs?(container: string, options: { tail: number }, signal?: AbortSignal): Promise<unknown>;
  /** The gateway's read-only `inspect` operation. */
  containerInspect?(container: string, signal?: AbortSignal): Promise<unknown>;
  /** The gateway's read-only `stats` operation. */
  containerStats?(container: string, signal?: AbortSignal): Promise<unknown>;
  /** The service's `/health` and `/status`. */
  serviceHealth?(service: string, signal?: AbortSignal): Promise<unknown>;
  /** Past incidents of the same alert, newest first. */
  pastIncidents?(query: { alertname: string; service: string; limit: number }, signal?: AbortSignal): Promise<unknown>;
  /** Per-action effectiveness statistics for the alert. */
  learningStats?(query: { alertname: string; service: string }, signal?: AbortSignal): Promise<unknown>;
}

/** Tool names, in the order they are offered. */
export const INVESTIGATION_TOOL_NAMES = [
  'prometheus_query',
  'loki_query',
  'container_logs',
  'container_inspect',
  'container_stats',
  'service_health',
  'past_incidents',
  'learning_stats',
] as const;

/** One tool call made during an investigation (for the incident record and tests). */
export interface ToolCallRecord {
  tool: string;
  input: unknown;
  output_chars: number;
  original_chars: number;
  error?: string;
}

/** Settings of {@link createInvestigationTools}. */
export interface InvestigationToolOptions {
  /** Characters one output may occupy; `undefined` = no budget (for the benchmark's "off" run). */
  outputChars: number | undefined;
  /** The incident's alert and service (defaults for queries that need them). */
  alertname: string;
  service: string;
  /** Receives every call (for the investigation record). */
  onCall?: (record: ToolCallRecord) => void;
}

async function runPort(name: string, input: unknown, options: InvestigationToolOptions, call: () => Promise<unknown>): Promise<string> {
  let text: string;
  let error: string | undefined;
  try {
    text = toolOutputText(await call());
  } catch (caught) {
    error = caught instanceof Error ? caught.message : String(caught);
    text = `tool ${name} failed: ${error}`;
  }
  // Cut first, then redact once: the bound on size applies before any per-character work.
  const fitted = redactSecrets(options.outputChars === undefined ? text : fitToBudget(text, options.outputChars).text);
  const record: ToolCallRecord = { tool: name, input, output_chars: fitted.length, original_chars: text.length };
  if (error !== undefined) record.error = error;
  options.onCall?.(record);
  return fitted;
}

/**
 * Builds the AI SDK tools for the ports given. Each output is serialised, cut to the budget and
 * then redacted before it enters the model's context; a failing port answers an error text (the
 * model can try something else) instead of ending the investigation.
 */
export function createInvestigationTools(ports: InvestigationPorts, options: InvestigationToolOptions) {
  const container = z.string().min(1).max(253).describe('container name');
  const tools: ToolSet = {};
  if (ports.prometheusQuery) {
    const port = ports.prometheusQuery.bind(ports);
    tools.prometheus_query = tool({
      description: 'Run an instant PromQL query against Prometheus (read-only). Returns the result vector.',
      inputSchema: z.object({ query: z.string().min(1).max(2000).describe('PromQL expression') }),
      execute: (input, { abortSignal }) => runPort('prometheus_query', input, options, () => port(input.query, abortSignal)),
    });
  }
  if (ports.lokiQuery) {
    const port = ports.lokiQuery.bind(ports);
    tools.loki_query = tool({
      description: 'Run a LogQL query against Loki over recent minutes (read-only). Returns matching log lines.',
      inputSchema: z.object({
        query: z.string().min(1).max(2000).describe('LogQL expression, e.g. {service="x"} |= "error"'),
        since_minutes: z.number().int().min(1).max(1440).default(30),
        limit: z.number().int().min(1).max(1000).default(200),
      }),
      execute: (input, { abortSignal }) =>
        runPort('loki_query', input, options, () =>
          port(input.query, { since_minutes: input.since_minutes, limit: input.limit }, abortSignal),
        ),
    });
  }
  if (ports.containerLogs) {
    const port = ports.containerLogs.bind(ports);
    tools.container_logs = tool({
      description: 'Last log lines of a container (read-only, through the command gateway).',
      inputSchema: z.object({ container, tail: z.number().int().min(1).max(2000).default(200) }),
      execute: (input, { abortSignal }) =>
        runPort('container_logs', input, options, () => port(input.container, { tail: input.tail }, abortSignal)),
    });
  }
  if (ports.containerInspect) {
    const port = ports.containerInspect.bind(ports);
    tools.container_inspect = tool({
      description: 'Container state: status, restarts, exit code, OOM-killed, health (read-only, through the gateway).',
      inputSchema: z.object({ container }),
      execute: (input, { abortSignal }) => runPort('container_inspect', input, options, () => port(input.container, abortSignal)),
    });
  }
  if (ports.containerStats) {
    const port = ports.containerStats.bind(ports);
    tools.container_stats = tool({
      description: 'Container CPU and memory use right now (read-only, through the gateway).',
      inputSchema: z.object({ container }),
      execute: (input, { abortSignal }) => runPort('container_stats', input, options, () => port(input.container, abortSignal)),
    });
  }
  if (ports.serviceHealth) {
    const port = ports.serviceHealth.bind(ports);
    tools.service_health = tool({
      description: "The service's /health and /status answers and response time.",
      inputSchema: z.object({ service: z.string().min(1).max(100).default(options.service) }),
      execute: (input, { abortSignal }) => runPort('service_health', input, options, () => port(input.service, abortSignal)),
    });
  }
  if (ports.pastIncidents) {
    const port = ports.pastIncidents.bind(ports);
    tools.past_incidents = tool({
      description: 'Past incidents of this alert: issue type, action taken, whether it worked.',
      inputSchema: z.object({ limit: z.number().int().min(1).max(20).default(5) }),
      execute: (input, { abortSignal }) =>
        runPort('past_incidents', input, options, () =>
          port({ alertname: options.alertname, service: options.service, limit: input.limit }, abortSignal),
        ),
    });
  }
  if (ports.learningStats) {
    const port = ports.learningStats.bind(ports);
    tools.learning_stats = tool({
      description: 'Per-action effectiveness for this alert: attempts, successes, mean time to recovery.',
      inputSchema: z.object({}),
      execute: (input, { abortSignal }) =>
        runPort('learning_stats', input, options, () => port({ alertname: options.alertname, service: options.service }, abortSignal)),
    });
  }
  return tools;
}
