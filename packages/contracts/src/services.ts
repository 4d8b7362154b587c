/** The services of the stack, their default ports and the package that starts each. */
export const SERVICES = [
  { name: 'market-predictor', port: 8000, workspace: '@atb/market-predictor', directory: 'apps/market-predictor' },
  { name: 'devops-agent', port: 8001, workspace: '@atb/devops-agent', directory: 'apps/devops-agent' },
  { name: 'coding-agent', port: 8002, workspace: '@atb/coding-agent', directory: 'apps/coding-agent' },
  { name: 'command-gateway', port: 8003, workspace: '@atb/command-gateway', directory: 'apps/command-gateway' },
] as const;

export type ServiceName = (typeof SERVICES)[number]['name'];

/** Default port of a service. */
export function defaultPort(name: ServiceName): number {
  const service = SERVICES.find((candidate) => candidate.name === name);
  if (!service) throw new Error(`unknown service "${name}"`);
  return service.port;
}

/** The product's version, shared by every service (one release train). */
export const PRODUCT_VERSION = '0.1.0';
