import { createHash } from 'node:crypto';
import type { ExecuteCommandResponse, ParsedExecuteCommandRequest } from '@atb/contracts';
import { AppError, ConflictError } from '@atb/service-kit';
import { canonicalJson } from '@atb/storage';
import type { Dispatch, IdempotencyStore, StoredRequest } from './idempotency-store.js';

/** Called by the handler just before a mutating operation reaches the runtime; it throws when the claim is no longer this replica's. */
export type BeforeExecute = (plan: { operation: string; target: string }) => Promise<void>;

type Handle = (request: ParsedExecuteCommandRequest, requestId: string, beforeExecute: BeforeExecute) => Promise<ExecuteCommandResponse>;

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
  /**
   * Whether the runtime shows that a dispatched operation of a dead replica took effect (e.g. the
   * target started after the dispatch): the evidence as text, or undefined when it cannot tell.
   */
  confirm?: (dispatch: Dispatch) => Promise<string | undefined>;
  /**
   * The runtime performs an operation once per request id (`ContainerRuntime.dedupesOperations`):
   * a dispatched claim of a dead replica is then taken over and run again like an undispatched
   * one, and the runtime answers the first outcome or performs it now if it never arrived.
   */
  rerunDispatched?: boolean;
  /** Frees the target lock a dead replica held for `requestId`, once its operation is confirmed finished. */
  releaseTarget?: (target: string, requestId: string) => Promise<void>;
}

/** Thrown by {@link BeforeExecute} when another replica took the claim over (this one was too slow to renew it): nothing is executed here. */
export class ClaimLostError extends AppError {
  constructor(key: string) {
    super('claim_lost', 'upstream', 503, `the claim on idempotency_key "${key}" was taken over by another gateway replica; nothing was executed here, retry to get its result`, {
      field: 'body.idempotency_key',
    });
  }
}

/**
 * Runs a request at most once per `(source_id, idempotency_key)`, across every gateway replica
 * sharing the database. A retry gets the first response (same request_id); a concurrent
 * duplicate — here or on another replica — waits for the first one's result; a key reused for a
 * different request (other target, intent or dry_run) is a 409. A claim whose owner stopped
 * renewing it (the replica died mid-request) is settled by the retry that finds it:
 * - nothing was dispatched to the runtime yet, or the runtime performs an operation once per
 *   request id (`rerunDispatched`): the retry takes the claim over and runs the request (same
 *   request_id), so it executes once;
 * - the operation was dispatched to a runtime without such ids: when the runtime shows it took
 *   effect (`confirm`), the answer is `success` with that evidence; otherwise "outcome unknown",
 *   and it is never run again.
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
    if (key === undefined) return this.handle(request, requestId, async () => {});
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
        // Its owner stopped renewing: it died mid-request.
        if (await this.settleExpired(request.source_id, key, stored, requestHash)) {
          return { requestHash, response: await this.runClaimed(request, key, stored.requestId) };
        }
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
      const beforeExecute: BeforeExecute = async (plan) => {
        if (!(await this.store.markDispatched(request.source_id, key, this.options.owner, plan))) throw new ClaimLostError(key);
      };
      try {
        response = await this.handle(request, requestId, beforeExecute);
      } catch (error) {
        // Only failures before execution throw (the audit log refused a write, the claim was lost): free the key if still ours.
        await this.store.release(request.source_id, key, this.options.owner).catch(() => {});
        throw error;
      }
      await this.store.complete(request.source_id, key, response);
      return response;
    } finally {
      clearInterval(renewal);
    }
  }

  /**
   * Settles the expired claims of dead replicas, as a retry would (at start-up): a dispatched one
   * is confirmed or closed as "outcome unknown"; one the retry may run (never dispatched, or
   * `rerunDispatched`) waits for its retry.
   */
  async settleInterrupted(): Promise<void> {
    if (this.options.rerunDispatched) return;
    for (const claim of await this.store.expired(new Date())) {
      if (claim.dispatch) await this.settleExpired(claim.sourceId, claim.key, claim, undefined);
    }
  }

  /**
   * Settles the expired claim `stored`; true when this replica took it over to run the request
   * (never dispatched or `rerunDispatched`, and `requestHash` is the same request).
   */
  private async settleExpired(sourceId: string, key: string, stored: StoredRequest & { state: 'pending' }, requestHash: string | undefined): Promise<boolean> {
    const now = new Date();
    const rerun = !stored.dispatch || this.options.rerunDispatched === true;
    if (rerun && stored.requestHash === requestHash) return this.store.takeOver(sourceId, key, this.options.owner, this.leaseUntil(), now, 'too');
    const evidence = stored.dispatch ? await this.options.confirm?.(stored.dispatch).catch(() => undefined) : undefined;
    const result = evidence
      ? `request ${stored.requestId} was executed by gateway ${stored.owner ?? '(unknown)'} before it stopped: ${evidence}`
      : stored.dispatch
        ? `request ${stored.requestId} was interrupted when gateway ${stored.owner ?? '(unknown)'} stopped; its outcome is unknown and it is not executed again`
        : `request ${stored.requestId} was interrupted when gateway ${stored.owner ?? '(unknown)'} stopped, before anything was executed`;
    const response: ExecuteCommandResponse = {
      request_id: stored.requestId,
      timestamp_processed_utc: now.toISOString(),
      overall_status: evidence ? 'success' : 'error',
      execution_details: { command: stored.dispatch && evidence ? `docker ${stored.dispatch.operation} ${stored.dispatch.target}` : '', execution_result: result, execution_time_ms: 0 },
    };
    if ((await this.store.closeExpired(sourceId, key, response, now)) && evidence && stored.dispatch) {
      await this.options.releaseTarget?.(stored.dispatch.target, stored.requestId).catch(() => {});
    }
    return false;
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
