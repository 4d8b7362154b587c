import { analysisResultSchema, commandPlanSchema } from '@atb/contracts';
import { describe, expect, it } from 'vitest';
import { describeSchema, listPromptTemplates, loadPromptTemplate, PromptBindingError, promptVariables, renderPrompt } from '../src/prompts.js';

/** The variables each shipped template is rendered with by the code (kept in sync by this test). */
const BOUND: Record<string, string[]> = {
  'investigate.v1': ['service', 'max_steps', 'tools', 'candidate_actions', 'output_schema', 'issue_types'],
  'incident.v1': ['incident_id', 'alertname', 'severity', 'service', 'flap_count', 'alerts', 'health', 'metrics', 'history', 'learning'],
  'incident.v2': ['incident_id', 'alertname', 'severity', 'service', 'flap_count', 'evidence', 'alerts', 'health', 'metrics', 'history', 'learning'],
  'repair.v1': ['problems', 'output_schema'],
  'command-plan.v1': ['operations', 'targets', 'output_schema', 'target', 'intent', 'context', 'priority'],
};

describe('versioned prompt templates', () => {
  it('ships exactly the templates the code renders, each with every variable bound', () => {
    expect(listPromptTemplates()).toEqual(Object.keys(BOUND).sort());
    for (const [name, variables] of Object.entries(BOUND)) {
      expect(promptVariables(loadPromptTemplate(name)).sort(), name).toEqual([...variables].sort());
      const rendered = renderPrompt(name, Object.fromEntries(variables.map((variable) => [variable, `<${variable}>`])));
      expect(rendered).not.toMatch(/\{\{/);
    }
  });

  it('refuses to render with a missing or an unknown variable', () => {
    expect(() => renderPrompt('repair.v1', { problems: 'x' })).toThrow(PromptBindingError);
    expect(() => renderPrompt('repair.v1', { problems: 'x', output_schema: '{}', extra: 1 })).toThrow(/unknown variables extra/);
    expect(() => loadPromptTemplate('../secrets')).toThrow(/prompt name/);
  });

  it('describes the whole output schema in the prompts that ask for JSON', () => {
    const analysisSchema = describeSchema(analysisResultSchema);
    for (const field of Object.keys(analysisResultSchema.shape)) expect(analysisSchema).toContain(`"${field}"`);
    expect(analysisSchema).toContain('"low","medium","high","critical"');
    for (const name of ['investigate.v1', 'repair.v1', 'command-plan.v1']) expect(loadPromptTemplate(name)).toContain('{{output_schema}}');
    const rendered = renderPrompt('investigate.v1', {
      service: 's',
      max_steps: 3,
      tools: 't',
      candidate_actions: 'restart',
      output_schema: analysisSchema,
      issue_types: 'x',
    });
    for (const field of Object.keys(analysisResultSchema.shape)) expect(rendered).toContain(field);
    expect(describeSchema(commandPlanSchema)).toContain('"restart"');
  });
});
