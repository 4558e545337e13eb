/**
 * The example flows as the editor sees them, and flows saved by older versions.
 *
 * The editor marks a node "not properly configured" when one of its `defaults` fails its check
 * (validateNodeProperty); here each node's real editor .html runs in a sandbox and every node of ours in
 * every examples/*.json is checked against it: each field present, each check passing. A node saved
 * before a field existed must still be valid (the editor) and still work with the field's default (the
 * runtime).
 */
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import type { NodeMessage } from 'node-red';
import { decodeAudio } from '../lib/audio/decode';
import { encodeWav } from '../lib/audio/encode';
import { resample } from '../lib/audio/resample';
import {
  PACKAGE, REPO_ROOT, editorDefinitions, editorPropertyValid, helper, loadFlow, nextMessages, nodeFile,
  type EditorDefinition, type FlowNode,
} from './support/node-red';
import { ALL_NODES } from './support/all-nodes';
import { maxAbsDiff, mir1kClip } from './support/node-specs';

const TYPES = Object.keys(PACKAGE['node-red'].nodes);
const EXAMPLES = path.join(REPO_ROOT, 'examples');

function definitionOf(type: string): EditorDefinition {
  const def = editorDefinitions(nodeFile(type).replace(/\.js$/, '.html')).get(type);
  if (!def) throw new Error(`${type}: its .html registers no such type`);
  return def;
}

/** The fields of `node` that the editor would flag: missing ones, and present ones failing their check. */
function problemsOf(def: EditorDefinition, node: Record<string, unknown>, requirePresent: boolean): string[] {
  const problems: string[] = [];
  for (const field of Object.keys(def.defaults)) {
    if (requirePresent && !(field in node)) problems.push(`${field} missing`);
    else if (!editorPropertyValid(def, field, node)) problems.push(`${field}=${JSON.stringify(node[field])} invalid`);
  }
  return problems;
}

describe('example flows: every node of ours is valid in the editor', () => {
  const defs = new Map(TYPES.map((type) => [type, definitionOf(type)]));
  const files = fs.readdirSync(EXAMPLES).filter((f) => f.endsWith('.json')).sort();

  it('there are example flows, and each uses at least one node of ours', () => {
    assert.ok(files.length >= 6, files.join(', '));
  });

  it("the package asks for a Node-RED that has every option the examples use (http in's Do not parse body: 4.1)", () => {
    const declared = (JSON.parse(fs.readFileSync(path.join(REPO_ROOT, 'package.json'), 'utf8')) as { 'node-red': { version: string } })['node-red'].version;
    const minimum = /^>=\s*(\d+)\.(\d+)\.(\d+)$/.exec(declared);
    assert.ok(minimum, `node-red.version is a plain minimum (>=x.y.z), got ${declared}`);
    const unparsed = files.filter((f) => (JSON.parse(fs.readFileSync(path.join(EXAMPLES, f), 'utf8')) as Array<{ type: string; skipBodyParsing?: boolean }>)
      .some((n) => n.type === 'http in' && n.skipBodyParsing === true));
    if (unparsed.length > 0) {
      const [major, minor] = [Number(minimum[1]), Number(minimum[2])];
      assert.ok(major > 4 || (major === 4 && minor >= 1), `${unparsed.join(', ')} use Do not parse body (Node-RED 4.1), but package.json asks for ${declared}`);
    }
  });

  for (const file of files) {
    it(`${file}: each node of ours has every field of its editor defaults, and each passes the editor's check`, () => {
      const flow = JSON.parse(fs.readFileSync(path.join(EXAMPLES, file), 'utf8')) as FlowNode[];
      const ours = flow.filter((n) => n.type.startsWith('vocal-split'));
      assert.ok(ours.length > 0, `${file} uses none of our nodes`);
      const problems = ours.flatMap((node) => {
        const def = defs.get(node.type);
        if (!def) return [`${node.id}: unknown type ${node.type}`];
        return problemsOf(def, node, true).map((p) => `${node.id} (${node.type}): ${p}`);
      });
      assert.deepEqual(problems, []);
    });
  }

  describe('a node saved before its fields existed (an old flow)', () => {
    for (const type of TYPES) {
      it(`${type} with no settings at all is valid (the runtime uses each default)`, () => {
        assert.deepEqual(problemsOf(defs.get(type)!, { id: 'old', type }, false), []);
      });
    }

    it('a field that is present with a bad value is still flagged (only a missing one means "the default")', () => {
      const def = defs.get('vocal-split')!;
      const node: Record<string, unknown> = { id: 'x', type: 'vocal-split' };
      for (const [field, value] of [['maxMegabytes', 'lots'], ['pcmChannels', '0'], ['mode', 'live'], ['concurrency', '']] as const) {
        assert.deepEqual(problemsOf(def, { ...node, [field]: value }, false), [`${field}=${JSON.stringify(value)} invalid`]);
      }
      assert.deepEqual(problemsOf(defs.get('vocal-split-stft')!, { fftSize: '4096', hop: '3000' }, false), ['hop="3000" invalid']);
    });
  });
});

describe('old flows at runtime: nodes saved with none of their settings work with the defaults', function () {
  afterEach(() => helper.unload());

  it('the six-node chain and vocal-split, each only {id, type, wires}, split a clip with the default model alike', async function () {
    // Only what every saved node has: no model, backend, sizes, stems, rates or modes.
    await loadFlow(ALL_NODES, [
      { id: 'decode', type: 'vocal-split-decode', wires: [['stft']] },
      { id: 'stft', type: 'vocal-split-stft', wires: [['mask']] },
      { id: 'mask', type: 'vocal-split-unet-mask', wires: [['apply']] },
      { id: 'apply', type: 'vocal-split-apply-mask', wires: [['istft']] },
      { id: 'istft', type: 'vocal-split-istft', wires: [['encode']] },
      { id: 'encode', type: 'vocal-split-encode', wires: [['chain-out']] },
      { id: 'chain-out', type: 'helper' },
      { id: 'split', type: 'vocal-split', wires: [['split-vocals'], ['split-accompaniment']] },
      { id: 'split-vocals', type: 'helper' },
      { id: 'split-accompaniment', type: 'helper' },
      { id: 'catcher', type: 'catch', scope: null, wires: [['caught']] },
      { id: 'caught', type: 'helper' },
    ]);
    const song = await resample(await mir1kClip('Kenshin_2_10.wav'), 44100);
    const wav = encodeWav(song, { bitDepth: 16 });
    type Msg = NodeMessage & { payload: Buffer; stem: string };
    const failed = new Promise<never>((_, reject) => helper.getNode('caught').once('input', (m: { error: { message: string; source: { id: string } } }) =>
      reject(new Error(`${m.error.source.id}: ${m.error.message}`))));
    const chain = nextMessages<Msg>(helper.getNode('chain-out'), 1);
    const vocals = nextMessages<Msg>(helper.getNode('split-vocals'), 1);
    const accompaniment = nextMessages<Msg>(helper.getNode('split-accompaniment'), 1);
    helper.getNode('decode').receive({ payload: wav });
    helper.getNode('split').receive({ payload: wav });
    const [[c], [v], [a]] = await Promise.race([Promise.all([chain, vocals, accompaniment]), failed]);
    // Defaults: apply-mask keeps the vocals, encode and vocal-split (output auto, for bytes) write 16-bit WAVs.
    assert.equal(c.stem, 'vocals');
    for (const m of [c, v, a]) assert.equal(m.payload.subarray(0, 4).toString('latin1'), 'RIFF');
    const [chainVocals, splitVocals, splitAccompaniment] = await Promise.all([c, v, a].map((m) => decodeAudio(m.payload)));
    const mixture = await decodeAudio(wav);
    assert.equal(chainVocals.sampleRate, 44100);
    assert.equal(chainVocals.channels[0].length, mixture.channels[0].length);
    assert.ok(maxAbsDiff(chainVocals, splitVocals) <= 2 / 32768, `chain vs vocal-split vocals: ${maxAbsDiff(chainVocals, splitVocals)}`);
    // The default model did something: the vocals are neither silence nor the whole song.
    let sumErr = 0;
    let vocalEnergy = 0;
    let residual = 0;
    mixture.channels.forEach((mix, ch) => {
      for (let i = 0; i < mix.length; i++) {
        sumErr = Math.max(sumErr, Math.abs(splitVocals.channels[ch][i] + splitAccompaniment.channels[ch][i] - mix[i]));
        vocalEnergy += splitVocals.channels[ch][i] ** 2;
        residual += splitAccompaniment.channels[ch][i] ** 2;
      }
    });
    assert.ok(sumErr <= 2 / 32768, `vocals + accompaniment = the song (off by ${sumErr})`);
    assert.ok(vocalEnergy > 0 && residual > 0, 'both stems carry sound');
  });
});
