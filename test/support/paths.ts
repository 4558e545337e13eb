import * as path from 'node:path';

/** Repository root (this file runs from dist/test/support/). */
export const REPO_ROOT = path.resolve(__dirname, '..', '..', '..');
export const FIXTURES = path.join(REPO_ROOT, 'test', 'fixtures');
/** The shared MIR-1K sample (17 test clips), beside the repository as ../shared in CI. */
export const MIR1K_SAMPLE = path.resolve(REPO_ROOT, '..', 'shared', 'data', 'mir1k-sample', 'Wavfile');
