import type { Rejection } from '../policy/rejection.js';
import type { ContainerDetails, ContainerRuntime, RollbackImage } from '../runtime/container-runtime.js';
import { type ImageHistoryStore, type ImageRecord, previousImage } from '../store/image-history-store.js';

export type RollbackPreparation = { ok: true; image: RollbackImage; current: string } | { ok: false; rejection: Rejection };

/**
 * Keeps each target's image history: every time the gateway looks at a target (inspect, and
 * after each operation) it records the image it runs, so a rollback knows the image before the
 * last change. Only runtimes with images (Docker) have a history.
 */
export class ImageTracking {
  constructor(
    private readonly runtime: ContainerRuntime,
    private readonly store: ImageHistoryStore,
    private readonly now: () => Date = () => new Date(),
  ) {}

  /** Records what `details` (an inspect answer) shows; returns the target's history. */
  async record(target: string, details: ContainerDetails): Promise<ImageRecord[]> {
    if (!details.image_id) return [];
    await this.store.observe(target, details.image, details.image_id, this.now());
    return this.store.history(target);
  }

  /** Inspects the target and records its image; failures are ignored (the operation's answer stands). */
  async observe(target: string): Promise<void> {
    try {
      await this.record(target, await this.runtime.inspect(target, { signal: AbortSignal.timeout(5000) }));
    } catch {
      // the target may be gone or the engine busy: nothing to record
    }
  }

  /** The image a rollback of `target` would go back to, or why there is none (nothing is changed either way). */
  async prepareRollback(target: string): Promise<RollbackPreparation> {
    if (!this.runtime.rollback) {
      return {
        ok: false,
        rejection: {
          code: 'rollback_unsupported',
          reason: `the ${this.runtime.kind} runtime runs processes, not images: rollback needs the Docker Engine API (DOCKER_HOST)`,
        },
      };
    }
    let details: ContainerDetails;
    try {
      details = await this.runtime.inspect(target, { signal: AbortSignal.timeout(10_000) });
    } catch (error) {
      return { ok: false, rejection: { code: 'no_previous_image', reason: `cannot inspect "${target}" to find its image: ${(error as Error).message}` } };
    }
    const history = await this.record(target, details);
    const previous = details.image_id ? previousImage(history, details.image_id) : undefined;
    if (!previous) {
      return {
        ok: false,
        rejection: {
          code: 'no_previous_image',
          reason: `no earlier image recorded for "${target}": the gateway has only seen it run ${details.image} (it records a target's image whenever it inspects or operates on it)`,
        },
      };
    }
    return { ok: true, image: { image: previous.image, image_id: previous.image_id }, current: details.image };
  }
}
