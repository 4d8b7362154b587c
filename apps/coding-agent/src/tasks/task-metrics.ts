import { Counter, Histogram, type Registry } from 'prom-client';
import type { TaskEvents } from './task-events.js';

/**
 * Prometheus metrics of the tasks, fed by their events: `coding_tasks_finished_total{status}`,
 * `coding_task_step_duration_seconds{step,status}` and `coding_tasks_created_total`.
 */
export function registerTaskMetrics(registry: Registry, events: TaskEvents): () => void {
  const finished = new Counter({
    name: 'coding_tasks_finished_total',
    help: 'Coding tasks that ended, by final status.',
    labelNames: ['status'] as const,
    registers: [registry],
  });
  const created = new Counter({ name: 'coding_tasks_created_total', help: 'Coding tasks accepted.', registers: [registry] });
  const steps = new Histogram({
    name: 'coding_task_step_duration_seconds',
    help: 'Duration of workflow steps, by step and outcome.',
    labelNames: ['step', 'status'] as const,
    buckets: [0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120, 300, 600, 1800],
    registers: [registry],
  });
  return events.subscribeAll((event) => {
    if (event.type === 'task-done') finished.inc({ status: String(event.data.status) });
    else if (event.type === 'task-status-changed' && event.data.status === 'queued') created.inc();
    else if (event.type === 'task-step-finished' && typeof event.data.duration_ms === 'number') {
      steps.observe({ step: String(event.data.step), status: String(event.data.status) }, event.data.duration_ms / 1000);
    }
  });
}
