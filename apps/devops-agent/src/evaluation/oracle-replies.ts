import type { RecordedRequest, ScriptedReply } from '@atb/testing';
import type { Scenario } from './scenario.js';

const TOOL_ARGUMENTS: Record<string, (service: string) => unknown> = {
  prometheus_query: (service) => ({ query: `up{service="${service}"}` }),
  loki_query: (service) => ({ query: `{service="${service}"} |= "error"` }),
  container_logs: (service) => ({ container: service, tail: 500 }),
  container_inspect: (service) => ({ container: service }),
  container_stats: (service) => ({ container: service }),
  service_health: (service) => ({ service }),
  past_incidents: () => ({ limit: 5 }),
  learning_stats: () => ({}),
};

/**
 * A scripted "oracle" model for the scripted OpenAI server: on its first turn it calls every
 * tool it is offered once (when `callEveryTool`), then answers the scenario's expected
 * analysis. It exercises the whole LLM path — prompts, tools, budgets, validation, scoring,
 * token accounting — without a real model; its score says nothing about a real model.
 */
export function oracleReplies(
  scenarios: Scenario[],
  options: { callEveryTool: boolean },
): (request: RecordedRequest) => ScriptedReply {
  const byIncident = new Map(scenarios.map((scenario) => [`eval-${scenario.id}`, scenario]));
  return (request) => {
    const messages = (request.body?.messages ?? []) as { role: string; content?: unknown }[];
    const text = JSON.stringify(messages);
    const id = /Incident (eval-[a-z0-9-]+):/.exec(text)?.[1];
    const scenario = id ? byIncident.get(id) : undefined;
    if (!scenario) return { status: 400, error_body: { error: { message: 'oracle: unknown scenario', type: 'invalid_request_error' } } };
    const service = scenario.alertmanager.alerts[0]?.labels.service ?? 'unknown';
    const assistantTurns = messages.filter((message) => message.role === 'assistant').length;
    const tools = ((request.body?.tools ?? []) as { function: { name: string } }[]).map((tool) => tool.function.name);
    if (options.callEveryTool && assistantTurns === 0 && tools.length > 0 && request.body?.tool_choice !== 'none') {
      return {
        tool_calls: tools.map((name, index) => ({ id: `call_${index}`, name, arguments: TOOL_ARGUMENTS[name]?.(service) ?? {} })),
      };
    }
    const action = scenario.expected.acceptable_actions[0]!;
    const detected = action !== 'none';
    return {
      content: JSON.stringify({
        issue_detected: detected,
        severity: detected ? 'high' : 'low',
        issue_type: scenario.expected.issue_types[0],
        description: scenario.description,
        root_cause: `oracle answer for ${scenario.id}`,
        recommended_actions: detected ? [{ action, target: service, reason: 'oracle' }] : [],
        confidence: 0.9,
        requires_immediate_action: detected,
        risk_assessment: 'oracle',
      }),
    };
  };
}
