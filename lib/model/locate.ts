import * as fs from 'node:fs';
import * as path from 'node:path';
import { ModelError } from './errors';

/** The package's shipped models: <package root>/models/<name>/ (this file runs from dist/lib/model/). */
export const MODELS_DIR = path.resolve(__dirname, '..', '..', '..', 'models');
export const DEFAULT_MODEL = 'default';
const FALLBACK_DEFAULT_MODEL = 'mir1k-protocol';

/**
 * A model argument is either the name of a shipped model (`default`, `mir1k-protocol`) or a path to a
 * folder holding model.json. Names are plain words, so a message can never point outside models/.
 */
export function resolveModelDir(nameOrPath: string = DEFAULT_MODEL): string {
  if (/^[A-Za-z0-9][A-Za-z0-9._-]*$/.test(nameOrPath) && !fs.existsSync(nameOrPath)) {
    let dir = path.join(MODELS_DIR, nameOrPath);
    // Until a 'default' model (trained on more singers) ships, the protocol model is the best there is.
    if (nameOrPath === DEFAULT_MODEL && !fs.existsSync(path.join(dir, 'model.json'))) dir = path.join(MODELS_DIR, FALLBACK_DEFAULT_MODEL);
    if (!fs.existsSync(path.join(dir, 'model.json'))) {
      const shipped = fs.existsSync(MODELS_DIR)
        ? fs.readdirSync(MODELS_DIR).filter((d) => fs.existsSync(path.join(MODELS_DIR, d, 'model.json')))
        : [];
      throw new ModelError('MODEL_NOT_FOUND',
        `no model named '${nameOrPath}' in ${MODELS_DIR} (shipped: ${shipped.join(', ') || 'none'})`);
    }
    return dir;
  }
  return path.resolve(nameOrPath);
}
