export * from './bullmq-work-queue.js';
export * from './open-work-queue.js';
export * from './sql-work-queue.js';
export * from './work-queue.js';
export * from './leadership.js';
export * from './redis-leadership.js';
export * from './sql-leadership.js';
