import type { GatewayPolicyResponse } from '@atb/contracts';
import type { GatewayClient } from './gateway-client.js';

/** The gateway's effective policy for this agent's source, or why it could not be had. */
export type KnownPolicy = { ok: true; policy: GatewayPolicyResponse } | { ok: false; error: string };

/**
 * The gateway's `GET /policy` for the agent's source, reused for `ttlSeconds`; a failed read is
 * not kept, so the next decision asks again.
 */
export class GatewayPolicySource {
  private cached: { policy: GatewayPolicyResponse; until: number } | undefined;
  private inFlight: Promise<KnownPolicy> | undefined;

  constructor(
    private readonly gateway: Pick<GatewayClient, 'policy'>,
    private readonly options: { ttlSeconds: number; timeoutMs: number },
  ) {}

  current(): Promise<KnownPolicy> {
    if (this.cached && Date.now() < this.cached.until) return Promise.resolve({ ok: true, policy: this.cached.policy });
    this.inFlight ??= this.read().finally(() => {
      this.inFlight = undefined;
    });
    return this.inFlight;
  }

  private async read(): Promise<KnownPolicy> {
    try {
      const policy = await this.gateway.policy(this.options.timeoutMs);
      this.cached = { policy, until: Date.now() + this.options.ttlSeconds * 1000 };
      return { ok: true, policy };
    } catch (error) {
      return { ok: false, error: error instanceof Error ? error.message : String(error) };
    }
  }
}
