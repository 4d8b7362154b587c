import type { Analyzer } from '@atb/contracts';
import { createLlmAnalyzer, type InvestigationPorts, type ModelRouter } from '@atb/llm';
import type { FastifyBaseLogger } from 'fastify';
import type { Config } from '../config.js';
import type { Runbook } from './runbooks.js';

/** What the analyzer is built from; the composition root makes each part once. */
export interface AnalyzerParts {
  /** The rule analyzer: the answer with no LLM configured, and the fallback when the LLM fails. */
  rules: Analyzer;
  /** The model router over the configured providers; undefined with `LLM_PROVIDER=none`. */
  router: ModelRouter | undefined;
  /** Read-only tools for the LLM's investigation (investigation-ports.ts). */
  investigation: InvestigationPorts;
  runbooks: Runbook[];
  logger?: FastifyBaseLogger;
}

/**
 * The one place the agent's analyzer is chosen. With no router (`LLM_PROVIDER=none`, the
 * default): the rule analyzer. Otherwise an LLM analyzer over the router with the read-only
 * investigation tools, falling back to the rule analyzer. It builds nothing else.
 */
export function createAnalyzer(config: Config, parts: AnalyzerParts): Analyzer {
  if (!parts.router) return parts.rules;
  parts.logger?.info({ providers: parts.router.providerLabels }, 'LLM analyzer enabled, rule analyzer as fallback');
  return createLlmAnalyzer(config, {
    router: parts.router,
    fallback: parts.rules,
    ports: parts.investigation,
    issueTypes: [...new Set(parts.runbooks.map((runbook) => runbook.issue_type))],
  });
}
