/**
 * File paths that come in messages: a node reads only files inside the folder its user configured,
 * so a message cannot make it read /etc/passwd or ../../secrets. `..` is refused outright, and the
 * real path (symbolic links resolved) must stay inside the folder's real path.
 */
import * as fs from 'node:fs/promises';
import * as path from 'node:path';
import { InvalidArgumentError } from './errors';

export class PathNotAllowedError extends InvalidArgumentError {}

/** The real path of `requested` (relative to `folder`, or absolute inside it), or PathNotAllowedError. */
export async function resolveInside(folder: string, requested: string): Promise<string> {
  if (!folder) {
    throw new PathNotAllowedError('NO_FOLDER', 'this node reads no files named in messages: set its Folder to the folder it may read from');
  }
  if (requested.includes('\0')) throw new PathNotAllowedError('BAD_PATH', 'the path contains a NUL character');
  if (requested.split(/[\\/]+/).includes('..')) {
    throw new PathNotAllowedError('PATH_NOT_ALLOWED', `'..' is not allowed in a path from a message: ${requested}`);
  }
  let realFolder: string;
  try {
    realFolder = await fs.realpath(folder);
  } catch {
    throw new PathNotAllowedError('NO_FOLDER', `the node's folder ${folder} does not exist`);
  }
  let real: string;
  try {
    real = await fs.realpath(path.resolve(realFolder, requested));
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    throw new PathNotAllowedError(code === 'ENOENT' ? 'NOT_FOUND' : 'BAD_PATH', `${requested}: ${code === 'ENOENT' ? 'no such file in the folder' : String(code)}`);
  }
  if (real !== realFolder && !real.startsWith(realFolder + path.sep)) {
    throw new PathNotAllowedError('PATH_NOT_ALLOWED', `${requested} is outside the node's folder ${folder}`);
  }
  return real;
}
