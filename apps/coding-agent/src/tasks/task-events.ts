import { EventEmitter } from 'node:events';
import { randomUUID } from 'node:crypto';
import type { Broadcast } from '@atb/queue';
import type { AuditLog } from '@atb/storage';
import type { TaskEvent } from './task.js';
import type { TaskStore } from './task-store.js';

const ALL = Symbol('all task events');

/** The broadcast channel on which replicas announce new task events. */
export const TASK_EVENTS_CHANNEL = 'task-events';

/**
 * Persists each task event, writes it to the audit log (actor `coding-agent`, action = event
 * type, subject = task id), and tells live watchers (the SSE stream, metrics). With a broadcast
 * shared by replicas, watchers of a task on any replica see its events: the replica running the
 * task announces each one (task id and sequence number), and the others read it from the shared
 * store and hand it to their watchers of that task.
 */
export class TaskEvents {
  private readonly emitter = new EventEmitter();
  private readonly origin = randomUUID();
  /** Per watched task on another replica: the last relayed sequence number and the read in flight. */
  private readonly relayed = new Map<string, { seq: number; reading: Promise<void> }>();
  private stopRelay: (() => Promise<void>) | undefined;

  constructor(
    private readonly store: TaskStore,
    private readonly clock: () => Date = () => new Date(),
    private readonly audit?: AuditLog,
    private readonly broadcast?: Broadcast,
  ) {
    this.emitter.setMaxListeners(0);
  }

  async emit(taskId: string, type: TaskEvent['type'], data: Record<string, unknown> = {}): Promise<TaskEvent> {
    const event = await this.store.appendEvent(taskId, type, data, this.clock());
    await this.audit?.append({ actor: 'coding-agent', action: type, subject: taskId, data });
    this.emitter.emit(taskId, event);
    this.emitter.emit(ALL, event);
    // Best effort: a watcher that misses the signal still reads the event when its stream resumes.
    await this.broadcast?.publish(TASK_EVENTS_CHANNEL, { origin: this.origin, task_id: taskId, seq: event.seq }).catch(() => {});
    return event;
  }

  /** Starts handing other replicas' task events to this replica's watchers of those tasks. */
  async startRelay(): Promise<void> {
    if (!this.broadcast || this.stopRelay) return;
    this.stopRelay = await this.broadcast.subscribe(TASK_EVENTS_CHANNEL, (message) => {
      if (message.origin === this.origin || typeof message.task_id !== 'string' || typeof message.seq !== 'number') return;
      this.relay(message.task_id, message.seq);
    });
  }

  async stop(): Promise<void> {
    await this.stopRelay?.();
    this.stopRelay = undefined;
  }

  /** Reads the task's events up to `seq` from the store, in order, for its watchers here (metrics count only their own replica's). */
  private relay(taskId: string, seq: number): void {
    if (this.emitter.listenerCount(taskId) === 0) {
      this.relayed.delete(taskId);
      return;
    }
    const state = this.relayed.get(taskId) ?? { seq: seq - 1, reading: Promise.resolve() };
    this.relayed.set(taskId, state);
    state.reading = state.reading.then(async () => {
      if (seq <= state.seq) return;
      const events = await this.store.listEvents(taskId, state.seq).catch(() => []);
      for (const event of events) {
        state.seq = Math.max(state.seq, event.seq);
        this.emitter.emit(taskId, event);
      }
      if (events.some((event) => event.type === 'task-done')) this.relayed.delete(taskId);
    });
  }

  /** Calls `listener` for every event of every task; returns the unsubscribe function. */
  subscribeAll(listener: (event: TaskEvent) => void): () => void {
    this.emitter.on(ALL, listener);
    return () => this.emitter.off(ALL, listener);
  }

  /** Calls `listener` for each new event of the task; returns the unsubscribe function. */
  subscribe(taskId: string, listener: (event: TaskEvent) => void): () => void {
    this.emitter.on(taskId, listener);
    return () => this.emitter.off(taskId, listener);
  }
}
