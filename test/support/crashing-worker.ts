/**
 * A WorkerPool worker for the pool spec: 'echo' answers its value after `ms` milliseconds,
 * 'spin' keeps the thread busy without ever yielding (a decoder stuck in a long synchronous call),
 * 'crash' ends the thread the way a native fault or an abort() would (no answer, exit code 3),
 * 'ask' asks the main thread and answers with the reply, 'nice' answers the thread's nice value.
 */
import * as os from 'node:os';
import { serveTasks } from '../../lib/workers/worker-host';

type Task = { type: 'echo'; value: unknown; ms?: number } | { type: 'spin'; ms: number } | { type: 'crash' } | { type: 'ask'; request: unknown } | { type: 'nice' };

serveTasks(async (raw, ctx) => {
  const task = raw as Task;
  switch (task.type) {
    case 'echo':
      await new Promise((r) => setTimeout(r, task.ms ?? 0));
      return { value: task.value };
    case 'spin': {
      const end = Date.now() + task.ms;
      while (Date.now() < end) { /* busy */ }
      return { value: 'spun' };
    }
    case 'crash':
      process.exit(3);
      break;
    case 'ask':
      return { value: await ctx.request(task.request) };
    case 'nice':
      return { value: os.getPriority(0) }; // Linux: this thread's

  }
  throw new Error('unknown task');
});
