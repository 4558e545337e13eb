/**
 * File paths that come in messages: a node reads only files inside the folder its user configured,
 * so a message cannot make it read /etc/passwd or ../../secrets. `..` is refused outright, a path
 * outside the folder is refused before the file system is asked anything, and the real path
 * (symbolic links resolved) must stay inside the folder's real path. Every refusal of a path that
 * is (or leads) outside says the same words as a missing file, so a message cannot learn whether
 * some file elsewhere on the machine exists.
 */
import * as fs from 'node:fs/promises';
import * as path from 'node:path';
import { InvalidArgumentError } from './errors';

export class PathNotAllowedError extends InvalidArgumentError {}

function isInside(folder: string, candidate: string): boolean {
  return candidate === folder || candidate.startsWith(folder.endsWith(path.sep) ? folder : folder + path.sep);
}

/** The real path of `requested` (relative to `folder`, or absolute inside it), or PathNotAllowedError. */
export async function resolveInside(folder: string, requested: string): Promise<string> {
  if (!folder) {
    throw new PathNotAllowedError('NO_FOLDER', 'this node reads no files named in messages: set its Folder to the folder it may read from');
  }
  if (requested.includes('\0')) throw new PathNotAllowedError('BAD_PATH', 'the path contains a NUL character');
  if (requested.split(/[\\/]+/).includes('..')) {
    throw new PathNotAllowedError('PATH_NOT_ALLOWED', `'..' is not allowed in a path from a message: ${requested}`);
  }
  const notHere = (): PathNotAllowedError => new PathNotAllowedError('NOT_FOUND', `${requested}: no such file in the node's folder`);
  let realFolder: string;
  try {
    realFolder = await fs.realpath(folder);
  } catch {
    throw new PathNotAllowedError('NO_FOLDER', `the node's folder ${folder} does not exist`);
  }
  const asked = path.resolve(realFolder, requested);
  // An absolute path elsewhere: refused without a look at it (realpath would tell it exists).
  if (!isInside(realFolder, asked) && !isInside(path.resolve(folder), path.resolve(folder, requested))) throw notHere();
  let real: string;
  try {
    real = await fs.realpath(path.isAbsolute(requested) ? requested : asked);
  } catch {
    throw notHere();
  }
  if (!isInside(realFolder, real)) throw notHere();
  return real;
}
