/**
 * The nodes' message catalogs and help (Node-RED i18n): every node has en-US and zh-CN catalogs with
 * the same keys and placeholders, every key the runtime and the editor use exists in the catalog it
 * is read from (its own, the shared strings of the vocal-split catalog, or Node-RED's core one), the
 * help has Node-RED's sections in both languages, and a real Node-RED serves all of it for the
 * package and translates the shared strings for every node set.
 */
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { COMMON } from '../nodes/shared/common-strings';
import { MISCONFIGURED, type EmbeddedReport } from './support/embedded-runtime';
import { PACKAGE, REPO_ROOT, editorDefinitions, nodeFile } from './support/node-red';

const LANGS = ['en-US', 'zh-CN'] as const;
const SECTIONS: Record<(typeof LANGS)[number], string[]> = {
  'en-US': ['Inputs', 'Outputs', 'Details', 'References'],
  'zh-CN': ['输入', '输出', '详细', '参考'],
};
const TYPES = Object.keys(PACKAGE['node-red'].nodes);
type Catalog = { [key: string]: string | Catalog };

function sourceDir(type: string): string {
  return path.join(REPO_ROOT, path.relative(path.join(REPO_ROOT, 'dist'), path.dirname(nodeFile(type))));
}
function catalog(type: string, lang: string): Catalog {
  const base = path.basename(nodeFile(type), '.js');
  return JSON.parse(fs.readFileSync(path.join(sourceDir(type), 'locales', lang, `${base}.json`), 'utf8')) as Catalog;
}
/** Node-RED's core catalog ('node-red:…' keys, e.g. node-red:common.label.name). */
function coreCatalog(lang: string): Catalog {
  const dir = path.join(path.dirname(require.resolve('@node-red/nodes/package.json')), 'locales', lang);
  return JSON.parse(fs.readFileSync(path.join(dir, 'messages.json'), 'utf8')) as Catalog;
}
/** The catalog a key is read from: 'ns:key' in namespace ns, a key without one in the node's own. */
function catalogOf(key: string, ownType: string): { catalog: Catalog; key: string } {
  const at = key.indexOf(':');
  if (at < 0) return { catalog: catalog(ownType, 'en-US'), key };
  const ns = key.slice(0, at);
  const set = ns.startsWith(`${PACKAGE.name}/`) ? ns.slice(PACKAGE.name.length + 1) : undefined;
  if (ns === 'node-red') return { catalog: coreCatalog('en-US'), key: key.slice(at + 1) };
  assert.ok(set && TYPES.includes(set), `'${key}': no catalog has the namespace ${ns}`);
  return { catalog: catalog(set, 'en-US'), key: key.slice(at + 1) };
}
function leaves(cat: Catalog, prefix = ''): Map<string, string> {
  const out = new Map<string, string>();
  for (const [k, v] of Object.entries(cat)) {
    if (typeof v === 'string') out.set(prefix + k, v);
    else for (const [kk, vv] of leaves(v, `${prefix}${k}.`)) out.set(kk, vv);
  }
  return out;
}
function placeholders(text: string): string[] {
  return [...text.matchAll(/__(\w+)__/g)].map((m) => m[1]).sort();
}
/**
 * Keys a source uses: RED._('k') / this._('k') in code, `${COMMON}.k` (the shared strings),
 * data-i18n="k;[attr]k" in HTML; each with its namespace if it names one ('ns:k').
 */
function usedKeys(text: string): string[] {
  const keys = [...text.matchAll(/(?:RED|this)\._\('([^']+)'/g)].map((m) => m[1]);
  // Keys chosen in an expression, e.g. this._(i === 0 ? 'vocal-split.ports.vocals' : ...).
  keys.push(...[...text.matchAll(/'(vocal-split[\w-]*\.[\w.-]+)'/g)].map((m) => m[1]));
  keys.push(...[...text.matchAll(/`\$\{COMMON\}\.([\w.-]+)`/g)].map((m) => `${COMMON}.${m[1]}`));
  for (const m of text.matchAll(/data-i18n="([^"]+)"/g)) {
    for (const part of m[1].split(';')) keys.push(part.replace(/^\[[^\]]+\]/, ''));
  }
  return keys;
}

describe('vocal split nodes: message catalogs and help', function () {
  // nodes/shared (runtime) and resources/ (the editor code every node's .html loads).
  const sharedSources = [
    ...fs.readdirSync(path.join(REPO_ROOT, 'nodes', 'shared')).filter((f) => f.endsWith('.ts')).map((f) => path.join(REPO_ROOT, 'nodes', 'shared', f)),
    ...fs.readdirSync(path.join(REPO_ROOT, 'resources')).filter((f) => f.endsWith('.js')).map((f) => path.join(REPO_ROOT, 'resources', f)),
  ].map((file) => fs.readFileSync(file, 'utf8'));

  it('lists every node of nodes/ in package.json, each in the palette category "vocal split" with a vocal-split type', function () {
    const folders = fs.readdirSync(path.join(REPO_ROOT, 'nodes')).filter((f) => f !== 'shared');
    assert.deepEqual(TYPES.map((t) => path.basename(path.dirname(nodeFile(t)))).sort(), folders.sort());
    for (const type of TYPES) {
      assert.match(type, /^vocal-split(-|$)/);
      const def = editorDefinitions(nodeFile(type).replace(/\.js$/, '.html')).get(type);
      assert.ok(def, `${type} registers itself in the editor`);
      assert.equal(def.category, 'vocal split');
    }
  });

  for (const type of TYPES) {
    it(`${type}: en-US and zh-CN catalogs with the same keys and placeholders; every key used exists`, function () {
      const en = leaves(catalog(type, 'en-US'));
      const zh = leaves(catalog(type, 'zh-CN'));
      assert.deepEqual([...zh.keys()].sort(), [...en.keys()].sort());
      for (const [key, text] of en) {
        assert.deepEqual(placeholders(zh.get(key) as string), placeholders(text), `placeholders of ${key}`);
        assert.ok(text.trim() !== '' && (zh.get(key) as string).trim() !== '', `${key} is not empty`);
      }
      const dir = sourceDir(type);
      const sources = fs.readdirSync(dir).filter((f) => /\.(ts|html)$/.test(f)).map((f) => fs.readFileSync(path.join(dir, f), 'utf8'));
      const used = [...sources, ...sharedSources].flatMap(usedKeys);
      assert.ok(used.length > 0, `${type}: keys found in its sources`);
      for (const used1 of used) {
        const { catalog: read, key } = catalogOf(used1, type);
        const known = leaves(read);
        if (key.endsWith('.')) assert.ok([...known.keys()].some((k) => k.startsWith(key)), `${type}: keys under ${used1}`);
        else assert.ok(known.has(key), `${type}: '${used1}' is in the catalog it is read from`);
      }
    });
  }

  it('the shared strings are written once: only the vocal-split catalog has the common block', function () {
    assert.match(COMMON, new RegExp(`^${PACKAGE.name}/vocal-split:common$`));
    for (const lang of LANGS) {
      for (const type of TYPES) assert.equal('common' in catalog(type, lang), type === 'vocal-split', `${lang} ${type}`);
    }
  });

  it('a real Node-RED loads the package: every node registers, and serves its catalogs and its help in English and Chinese', function () {
    this.timeout(60000);
    const out = execFileSync(process.execPath, [path.join(__dirname, 'support', 'embedded-runtime.js')], { encoding: 'utf8', maxBuffer: 16 << 20 });
    const report = JSON.parse(out.trim().split('\n').pop() as string) as EmbeddedReport;
    assert.deepEqual(report.sets.flatMap((s) => s.types).sort(), [...TYPES].sort());
    for (const set of report.sets) assert.equal(set.err, undefined, `${set.id}: ${set.err}`);
    for (const lang of LANGS) {
      for (const type of TYPES) {
        const help = report.help[lang][type];
        assert.ok(help, `${lang} help for ${type}`);
        for (const section of SECTIONS[lang]) assert.ok(help.includes(`<h3>${section}</h3>`), `${lang} help for ${type} has ${section}`);
        const served = report.catalogs[`${lang}:${PACKAGE.name}/${type}`];
        assert.deepEqual(served, catalog(type, lang), `${lang} catalog of ${type} as served`);
      }
      assert.match(report.help[lang]['vocal-split'], lang === 'zh-CN' ? /人声/ : /vocals/);
    }
    // Other node sets read the shared strings from the vocal-split catalog: translated, not the key.
    assert.deepEqual(Object.keys(report.deployErrors).sort(), MISCONFIGURED.map((n) => n.id).sort());
    assert.equal(report.deployErrors['bad-decode'], "max length must be more than 0 and at most 86400 s, got '-5'");
    assert.equal(report.deployErrors['bad-stft'], "PCM encoding must be s16le or f32le, got 'u8'");
    assert.equal(report.deployErrors['bad-istft'], "mode must be file or stream, got 'live'");
  });
});
