import { createHash } from 'node:crypto';
import type { ExecuteCommandResponse, ParsedExecuteCommandRequest } from '@atb/contracts';
import { ConflictError } from '@atb/service-kit';
import { canonicalJson } from '@atb/storage';
import type { IdempotencyStore } from './idempotency-store.js';

type Handle = (request: ParsedExecuteCommandRequest, requestId: string) => Promise<ExecuteCommandResponse>;

interface Settled {
  requestHash: string;
  response: ExecuteCommandResponse;
}

export interface IdempotentCommandsOptions {
  /** How long to wait for a key another replica holds before answering `error`. */
  waitMs: number;
  /** This gateway replica's name on its claims. */
  owner: string;
  /** How long a claim lasts unless renewed; renewed every third of it while the request runs. */
  leaseMs: number;
}

/**
 * Runs a request at most once per `(source_id, idempotency_key)`, across every gateway replica
 * sharing the database. A retry gets the first response (same request_id); a concurrent
 * duplicate — here or on another replica — waits for the first one's result; a key reused for a
 * different request (other target, intent or dry_run) is a 409. A claim whose owner stopped
 * renewing it (the replica died mid-request) is answered "outcome unknown", never re-executed.
 * Requests without a key run every time.
 */
export class IdempotentCommands {
  private readonly inFlight = new Map<string, Promise<Settled>>();

  constructor(
    private readonly store: IdempotencyStore,
    private readonly handle: Handle,
    private readonly options: IdempotentCommandsOptions,
  ) {}

  async execute(request: ParsedExecuteCommandRequest, requestId: string): Promise<ExecuteCommandResponse> {
    const key = request.idempotency_key;
    if (key === undefined) return this.handle(request, requestId);
    const requestHash = hashOf(request);
    const mapKey = `${request.source_id}\u0000${key}`;
    let pending = this.inFlight.get(mapKey);
    if (!pending) {
      pending = this.firstOrStored(request, key, requestHash, requestId);
      this.inFlight.set(mapKey, pending);
      const remove = () => this.inFlight.delete(mapKey);
      pending.then(remove, remove);
    }
    const settled = await pending;
    if (settled.requestHash !== requestHash) {
      throw new ConflictError(
        `idempotency_key "${key}" was already used by ${request.source_id} for a different request (request ${settled.response.request_id})`,
        { field: 'body.idempotency_key' },
      );
    }
    return settled.response;
  }

  private async firstOrStored(
    request: ParsedExecuteCommandRequest,
    key: string,
    requestHash: string,
    requestId: string,
  ): Promise<Settled> {
    const { waitMs } = this.options;
    const deadline = Date.now() + waitMs;
    for (;;) {
      const stored = await this.store.find(request.source_id, key);
      if (stored?.state === 'done') return { requestHash: stored.requestHash, response: stored.response };
      if (!stored) {
        if (await this.store.claim(request.source_id, key, requestHash, requestId, this.options.owner, this.leaseUntil())) {
          return { requestHash, response: await this.runClaimed(request, key, requestId) };
        }
        continue;
      }
      if (stored.leaseUntil === undefined || Date.parse(stored.leaseUntil) < Date.now()) {
        // Its owner stopped renewing: it died mid-request. Close it as "outcome unknown" and answer that.
        await this.store.closeExpired(new Date(), { sourceId: request.source_id, key });
        continue;
      }
      if (Date.now() > deadline) {
        return {
          requestHash: stored.requestHash,
          response: {
            request_id: stored.requestId,
            timestamp_processed_utc: new Date().toISOString(),
            overall_status: 'error',
            execution_details: {
              command: '',
              execution_result: `request ${stored.requestId} with this idempotency_key is still unfinished after ${Math.round(waitMs / 1000)} s; it is not executed again`,
              execution_time_ms: 0,
            },
          },
        };
      }
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
  }

  /** Runs the request this replica claimed, renewing the claim until it is settled. */
  private async runClaimed(request: ParsedExecuteCommandRequest, key: string, requestId: string): Promise<ExecuteCommandResponse> {
    const renewal = setInterval(
      () => {
        this.store.renew(request.source_id, key, this.options.owner, this.leaseUntil()).catch(() => {});
      },
      Math.max(50, Math.floor(this.options.leaseMs / 3)),
    );
    renewal.unref();
    try {
      let response: ExecuteCommandResponse;
      try {
        response = await this.handle(request, requestId);
      } catch (error) {
        // Only failures before execution throw (the audit log refused a write): free the key.
        await this.store.release(request.source_id, key).catch(() => {});
        throw error;
      }
      await this.store.complete(request.source_id, key, response);
      return response;
    } finally {
      clearInterval(renewal);
    }
  }

  private leaseUntil(): Date {
    return new Date(Date.now() + this.options.leaseMs);
  }
}

/** What makes two requests "the same": source, target, intent and dry_run (not context/priority). */
export function hashOf(request: ParsedExecuteCommandRequest): string {
  return createHash('sha256')
    .update(
      canonicalJson([request.source_id, request.target_resource.name, request.action_request.intent, request.dry_run]),
    )
    .digest('hex');
}
