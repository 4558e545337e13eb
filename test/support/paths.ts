import * as path from 'node:path';

/** Repository root (this file runs from dist/test/support/). */
export const REPO_ROOT = path.resolve(__dirname, '..', '..', '..');
export const FIXTURES = path.join(REPO_ROOT, 'test', 'fixtures');
/** The 17 MIR-1K test clips kept in the repository (see test/fixtures/mir1k-sample/SOURCES.txt). */
export const MIR1K_SAMPLE = path.join(REPO_ROOT, 'test', 'fixtures', 'mir1k-sample', 'Wavfile');
