/**
 * The import graph of a TypeScript source tree, folded to folders: which sibling folders import
 * each other (a file anywhere under folder X importing a file anywhere under sibling folder Y makes
 * the edge X → Y), and the cycles among them. The top folder's own files count as one-file
 * "folders" there (lib/errors.ts, lib/payloads.ts, …), since they are modules of that level too.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';

/** Relative import specifiers of a TS source: static imports / re-exports, import(), require(). */
export function importSpecifiers(source: string): string[] {
  const code = source.replace(/\/\*[\s\S]*?\*\//g, '').replace(/(^|[^:])\/\/.*$/gm, '$1');
  const out: string[] = [];
  const patterns = [/\bfrom\s+['"]([^'"]+)['"]/g, /\bimport\s+['"]([^'"]+)['"]/g, /\bimport\(\s*['"]([^'"]+)['"]\s*\)/g, /\brequire\(\s*['"]([^'"]+)['"]\s*\)/g];
  for (const re of patterns) for (const m of code.matchAll(re)) out.push(m[1]);
  return out.filter((s) => s.startsWith('.'));
}

function sourceFiles(dir: string): string[] {
  return fs.readdirSync(dir, { withFileTypes: true }).flatMap((e) => {
    const p = path.join(dir, e.name);
    if (e.isDirectory()) return sourceFiles(p);
    return e.name.endsWith('.ts') && !e.name.endsWith('.d.ts') ? [p] : [];
  });
}

/** The file an import specifier names (x.ts or x/index.ts), or undefined if it leaves the tree. */
function resolveImport(from: string, spec: string): string {
  const base = path.resolve(path.dirname(from), spec);
  for (const candidate of [`${base}.ts`, path.join(base, 'index.ts'), base]) {
    if (fs.existsSync(candidate) && fs.statSync(candidate).isFile()) return candidate;
  }
  return `${base}.ts`;
}

/** file → files it imports, all absolute, inside `root` only. */
export function fileImports(root: string): Map<string, string[]> {
  const graph = new Map<string, string[]>();
  for (const file of sourceFiles(root)) {
    const targets = importSpecifiers(fs.readFileSync(file, 'utf8'))
      .map((s) => resolveImport(file, s))
      .filter((t) => !path.relative(root, t).startsWith('..'));
    graph.set(file, targets);
  }
  return graph;
}

/** Edges "X -> Y (a.ts imports b.ts)" between sibling folders, for every folder level under `root`. */
export function folderEdges(root: string, imports: Map<string, string[]>): Map<string, Map<string, string>> {
  const edges = new Map<string, Map<string, string>>();
  const add = (from: string, to: string, why: string): void => {
    if (!edges.has(from)) edges.set(from, new Map());
    if (!edges.get(from)?.has(to)) edges.get(from)?.set(to, why);
  };
  for (const [file, targets] of imports) {
    const a = path.relative(root, file).split(path.sep);
    for (const target of targets) {
      const b = path.relative(root, target).split(path.sep);
      // The first level where the two paths part: the two siblings there.
      let i = 0;
      while (i < a.length - 1 && i < b.length - 1 && a[i] === b[i]) i++;
      const aIsFolder = i < a.length - 1;
      const bIsFolder = i < b.length - 1;
      // Files count as nodes only at the top level; below it, a folder's own files belong to it.
      if ((aIsFolder || i === 0) && (bIsFolder || i === 0) && a[i] !== b[i]) {
        const from = a.slice(0, i + 1).join('/');
        const to = b.slice(0, i + 1).join('/');
        add(from, to, `${path.relative(root, file)} imports ${path.relative(root, target)}`);
      }
    }
  }
  return edges;
}

/** Every cycle's folders (one strongly connected component of two or more), each with the imports that close it. */
export function folderCycles(edges: Map<string, Map<string, string>>): string[][] {
  // Tarjan's strongly connected components.
  let index = 0;
  const idx = new Map<string, number>();
  const low = new Map<string, number>();
  const stack: string[] = [];
  const onStack = new Set<string>();
  const components: string[][] = [];
  const nodes = new Set<string>([...edges.keys(), ...[...edges.values()].flatMap((m) => [...m.keys()])]);
  const visit = (v: string): void => {
    idx.set(v, index);
    low.set(v, index++);
    stack.push(v);
    onStack.add(v);
    for (const w of edges.get(v)?.keys() ?? []) {
      if (!idx.has(w)) {
        visit(w);
        low.set(v, Math.min(low.get(v) as number, low.get(w) as number));
      } else if (onStack.has(w)) {
        low.set(v, Math.min(low.get(v) as number, idx.get(w) as number));
      }
    }
    if (low.get(v) === idx.get(v)) {
      const component: string[] = [];
      let w: string;
      do {
        w = stack.pop() as string;
        onStack.delete(w);
        component.push(w);
      } while (w !== v);
      if (component.length > 1) components.push(component);
    }
  };
  for (const v of nodes) if (!idx.has(v)) visit(v);
  return components.map((c) => {
    const inside = new Set(c);
    return c.flatMap((from) => [...(edges.get(from) ?? [])].filter(([to]) => inside.has(to)).map(([to, why]) => `${from} -> ${to} (${why})`));
  });
}
