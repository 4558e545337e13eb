/**
 * Preloaded with `node --require` to run a process as if onnxruntime-node were not installed, as after
 * an offline `npm install` that dropped the optional dependency: requiring it fails with MODULE_NOT_FOUND.
 */
import Module from 'node:module';

type Resolve = (this: unknown, request: string, ...rest: unknown[]) => string;
const loader = Module as unknown as { _resolveFilename: Resolve };
const resolve = loader._resolveFilename;
loader._resolveFilename = function (request: string, ...rest: unknown[]): string {
  if (request === 'onnxruntime-node' || request.startsWith('onnxruntime-node/')) {
    const err: NodeJS.ErrnoException = new Error(`Cannot find module '${request}'`);
    err.code = 'MODULE_NOT_FOUND';
    throw err;
  }
  return resolve.call(this, request, ...rest);
};
