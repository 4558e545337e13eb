/** lib/ is layered: no folder imports one that imports it back (at any folder level). */
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { fileImports, folderCycles, folderEdges } from './support/import-graph';
import { REPO_ROOT } from './support/paths';

describe('lib import graph', () => {
  it('has no cycle between folders of lib/ (sources parsed, every level)', () => {
    const root = path.join(REPO_ROOT, 'lib');
    const imports = fileImports(root);
    assert.ok(imports.size > 50, `read only ${imports.size} source files under ${root}`);
    const edges = folderEdges(root, imports);
    // The graph was really built: the layering the code relies on is in it.
    assert.ok(edges.get('stream')?.has('dsp'), 'stream -> dsp edge missing: the parser lost imports');
    assert.ok(edges.get('model/backends')?.has('model/onnx'), 'model/backends -> model/onnx edge missing');
    assert.deepEqual(folderCycles(edges), []);
  });

  it('finds a cycle between sibling folders, also through a nested folder and a re-export', () => {
    const root = fs.mkdtempSync(path.join(os.tmpdir(), 'vs-import-graph-'));
    try {
      const write = (rel: string, text: string): void => {
        fs.mkdirSync(path.dirname(path.join(root, rel)), { recursive: true });
        fs.writeFileSync(path.join(root, rel), text);
      };
      write('a/x.ts', "import { y } from '../b/inner/y';\nexport const x = 1;\n");
      write('b/inner/y.ts', "export { z as y } from '../z';\n");
      write('b/z.ts', "// import { x } from '../a/x'; (a comment, not an import)\nexport const z = 2;\n");
      write('c/w.ts', "import { x } from '../a/x';\n");
      assert.deepEqual(folderCycles(folderEdges(root, fileImports(root))), []);
      write('b/z.ts', "import type { X } from '../a';\nexport const z = 2;\n");
      write('a/index.ts', "export type X = number;\n");
      const cycles = folderCycles(folderEdges(root, fileImports(root)));
      assert.equal(cycles.length, 1);
      assert.deepEqual(cycles[0].map((e) => e.split(' (')[0]).sort(), ['a -> b', 'b -> a']);
    } finally {
      fs.rmSync(root, { recursive: true, force: true });
    }
  });
});
