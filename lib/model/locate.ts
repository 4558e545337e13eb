import * as fs from 'node:fs';
import * as path from 'node:path';
import { ModelError } from './errors';

/** The package's shipped models: <package root>/models/<name>/ (this file runs from dist/lib/model/). */
export const MODELS_DIR = path.resolve(__dirname, '..', '..', '..', 'models');
export const DEFAULT_MODEL = 'default';

/** Plain words (no separator, no leading dot): the only arguments taken as names of shipped models. */
const NAME = /^[A-Za-z0-9][A-Za-z0-9._-]*$/;

/**
 * A model argument is either the name of a shipped model (`default`, `mir1k-protocol`) or a path to a
 * folder holding model.json. A shipped model's name always means the shipped model, even if the
 * working directory has a folder of that name (write ./default for that folder); another plain word
 * is taken as a folder if there is one. Names never point outside models/.
 */
export function resolveModelDir(nameOrPath: string = DEFAULT_MODEL): string {
  if (NAME.test(nameOrPath)) {
    const shipped = path.join(MODELS_DIR, nameOrPath);
    if (fs.existsSync(path.join(shipped, 'model.json'))) return shipped;
    if (fs.existsSync(nameOrPath)) return path.resolve(nameOrPath);
    const names = fs.existsSync(MODELS_DIR)
      ? fs.readdirSync(MODELS_DIR).filter((d) => fs.existsSync(path.join(MODELS_DIR, d, 'model.json')))
      : [];
    throw new ModelError('MODEL_NOT_FOUND', `no model named '${nameOrPath}' in ${MODELS_DIR} (shipped: ${names.join(', ') || 'none'})`);
  }
  return path.resolve(nameOrPath);
}
