import type { ContainerRuntime } from '../runtime/container-runtime.js';
import type { Dispatch } from '../store/idempotency-store.js';

/**
 * Whether the runtime shows that an operation a dead gateway replica dispatched took effect:
 * a `restart` or `start` did when the target is running and started at or after the dispatch.
 * Answers the evidence as text, or undefined when the runtime cannot tell (a `stop` or
 * `rollback`, the target not running or started before, the runtime unreachable); the caller
 * then answers "outcome unknown". The dispatch time is the gateway's clock and the start time the
 * engine's: on one host they agree, across hosts they must be synchronised (NTP).
 */
export async function confirmDispatch(runtime: Pick<ContainerRuntime, 'inspect'>, dispatch: Dispatch): Promise<string | undefined> {
  if (dispatch.operation !== 'restart' && dispatch.operation !== 'start') return undefined;
  const details = await runtime.inspect(dispatch.target, { signal: AbortSignal.timeout(5000) }).catch(() => undefined);
  if (details?.state !== 'running') return undefined;
  const startedAt = Date.parse(details.started_at);
  if (Number.isNaN(startedAt) || startedAt < Date.parse(dispatch.at)) return undefined;
  return `${dispatch.target} is running and started at ${details.started_at}, after the ${dispatch.operation} was dispatched at ${dispatch.at}`;
}
