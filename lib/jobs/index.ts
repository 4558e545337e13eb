/** Job plumbing shared by long-running consumers (the Node-RED nodes): a queue, progress throttling, yielding. */
export { JobQueue, MAX_CONCURRENCY } from './queue';
export type { CloseResult, JobRunner } from './queue';
export { throttle, yieldToEventLoop } from './throttle';
