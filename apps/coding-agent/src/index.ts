export * from './app.js';
export * from './config.js';
export type { NewTask, Task, TaskStatus } from './tasks/task.js';
