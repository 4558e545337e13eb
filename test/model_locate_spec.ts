/** resolveModelDir: shipped names always mean the shipped model; other words and paths are folders. */
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { ModelError } from '../lib/model/errors';
import { MODELS_DIR, resolveModelDir } from '../lib/model/locate';

describe('resolveModelDir', function () {
  let dir: string;
  let cwd: string;
  beforeEach(function () {
    cwd = process.cwd();
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'vocal-split-locate-'));
    for (const name of ['default', 'mine']) {
      fs.mkdirSync(path.join(dir, name));
      fs.writeFileSync(path.join(dir, name, 'model.json'), '{}');
    }
    process.chdir(dir);
  });
  afterEach(function () {
    process.chdir(cwd);
    fs.rmSync(dir, { recursive: true, force: true });
  });

  it('a folder named default in the working directory does not shadow the shipped model', function () {
    assert.equal(resolveModelDir('default'), path.join(MODELS_DIR, 'default'));
    assert.equal(resolveModelDir(), path.join(MODELS_DIR, 'default'));
    assert.equal(resolveModelDir('mir1k-protocol'), path.join(MODELS_DIR, 'mir1k-protocol'));
    assert.equal(fs.realpathSync(resolveModelDir('./default')), fs.realpathSync(path.join(dir, 'default')));
  });

  it('takes other words and paths as folders, and names what is shipped when nothing matches', function () {
    assert.equal(fs.realpathSync(resolveModelDir('mine')), fs.realpathSync(path.join(dir, 'mine')));
    assert.equal(resolveModelDir(path.join(dir, 'mine')), path.join(dir, 'mine'));
    assert.throws(() => resolveModelDir('nope'), (err: Error) => err instanceof ModelError && /no model named 'nope'.*shipped: default, mir1k-protocol/.test(err.message));
  });
});
