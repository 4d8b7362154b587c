import { type ServiceProcess, startServiceProcess } from '@atb/testing';

/** A coding agent started as its own process from source. */
export type AgentProcess = ServiceProcess;

/** Starts `apps/coding-agent/src/main.ts` on a free loopback port and waits for `/health`. */
export function startAgentProcess(environment: Record<string, string>): Promise<AgentProcess> {
  return startServiceProcess('apps/coding-agent/src/main.ts', environment);
}
