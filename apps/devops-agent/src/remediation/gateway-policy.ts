import type { GatewayPolicyResponse } from '@atb/contracts';
import type { GatewayClient } from './gateway-client.js';

/** The gateway's effective policy for this agent's source, or why it could not be had. */
const FAILURE_TTL_SECONDS = 5;

export type KnownPolicy = { ok: true; policy: GatewayPolicyResponse } | { ok: false; error: string };

/**
 * The gateway's `GET /policy` for the agent's source, reused for `ttlSeconds`; a failed read is
 * reused for at most 5 s, so a gateway that is down or has no such route does not add a request
 * (and its timeout) to every decision, and is asked again soon.
 */
export class GatewayPolicySource {
  private cached: { known: KnownPolicy; until: number } | undefined;
  private inFlight: Promise<KnownPolicy> | undefined;

  constructor(
    private readonly gateway: Pick<GatewayClient, 'policy'>,
    private readonly options: { ttlSeconds: number; timeoutMs: number },
  ) {}

  current(): Promise<KnownPolicy> {
    if (this.cached && Date.now() < this.cached.until) return Promise.resolve(this.cached.known);
    this.inFlight ??= this.read().finally(() => {
      this.inFlight = undefined;
    });
    return this.inFlight;
  }

  private async read(): Promise<KnownPolicy> {
    let known: KnownPolicy;
    let ttlSeconds = this.options.ttlSeconds;
    try {
      known = { ok: true, policy: await this.gateway.policy(this.options.timeoutMs) };
    } catch (error) {
      known = { ok: false, error: error instanceof Error ? error.message : String(error) };
      ttlSeconds = Math.min(ttlSeconds, FAILURE_TTL_SECONDS);
    }
    this.cached = { known, until: Date.now() + ttlSeconds * 1000 };
    return known;
  }
}
