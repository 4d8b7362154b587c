import type { Analyzer } from '@atb/contracts';
import type { FastifyBaseLogger } from 'fastify';
import type { Config } from '../config.js';
import { RuleAnalyzer } from './rule-analyzer.js';
import type { Runbook } from './runbooks.js';

/** What an analyzer may use besides the configuration. */
export interface AnalyzerDependencies {
  runbooks: Runbook[];
  logger?: FastifyBaseLogger;
}

/**
 * The one place the agent's analyzer is chosen. Today: the rule analyzer. An LLM analyzer
 * (issue 6) plugs in here, wrapping the rule analyzer as its fallback.
 */
export function createAnalyzer(_config: Config, dependencies: AnalyzerDependencies): Analyzer {
  return new RuleAnalyzer(dependencies.runbooks);
}
