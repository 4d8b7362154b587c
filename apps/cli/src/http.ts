import { JsonClient, UpstreamUnreachableError } from '@atb/clients';
import { type HealthResponse, healthResponseSchema, type StatusResponse, statusResponseSchema } from '@atb/contracts';

/** `GET /health` and `GET /status` of any service of the stack (every one serves both, with the shared shapes). */
export function serviceProbe(name: string, baseUrl: string, timeoutMs = 2000) {
  const client = new JsonClient(name, { baseUrl, timeoutMs });
  return {
    health: (): Promise<HealthResponse> => client.request('/health', { schema: healthResponseSchema, statuses: [200, 503] }),
    status: (): Promise<StatusResponse> => client.request('/status', { schema: statusResponseSchema }),
  };
}

/** Polls `<baseUrl>/health` until the service answers (any status, any body) or `timeoutMs` passes. */
export async function waitForHttp(baseUrl: string, timeoutMs: number): Promise<boolean> {
  const probe = serviceProbe('service', baseUrl, 1000);
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    try {
      await probe.health();
      return true;
    } catch (error) {
      if (!(error instanceof UpstreamUnreachableError)) return true;
    }
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
  return false;
}
