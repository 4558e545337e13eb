import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { InvalidArgumentError } from '../lib/errors';
import {
  FoldedUNet, JANSSON_CONFIG, ModelError, UNetConfig, WeightMap, assignWeights, buildUNet, createRandomModel,
  expectedWeights, extractWeights, predictMaskTensor, randomWeights, readModel, readModelInfo, saveModel, validateUNetConfig,
} from '../lib/model';
import { decodeFloat16, encodeFloat16, fromHalfBits, toHalfBits } from '../lib/model/fp16';
import { maxAbsDiff, randomInput } from './support/numeric';

const SMALL: UNetConfig = { bins: 64, frames: 64, baseFilters: 4, depth: 3, channelsIn: 1 };

function maskOf(config: UNetConfig, weights: WeightMap, input: Float32Array, batch: number): Float32Array {
  const unet = buildUNet(config);
  try {
    assignWeights(unet, weights);
    const x = tf.tensor4d(input, [batch, config.bins, config.frames, config.channelsIn]);
    const y = predictMaskTensor(unet, x);
    const out = y.dataSync() as Float32Array;
    x.dispose();
    y.dispose();
    return out;
  } finally {
    unet.dispose();
  }
}

describe('model: U-Net definition and weights I/O', () => {
  let tmp: string;
  before(async () => {
    await tf.setBackend('cpu');
    tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'vocal-split-unet-'));
  });
  after(() => fs.rmSync(tmp, { recursive: true, force: true }));

  describe('config', () => {
    it('accepts the Jansson config and small test configs', () => {
      assert.deepEqual(validateUNetConfig(JANSSON_CONFIG), JANSSON_CONFIG);
      assert.deepEqual(validateUNetConfig({ ...SMALL, channelsIn: 2 }), { ...SMALL, channelsIn: 2 });
    });

    it('rejects bins or frames that are not multiples of 2^depth, and non-integers', () => {
      assert.throws(() => validateUNetConfig({ ...SMALL, bins: 60 }), (e: unknown) =>
        e instanceof InvalidArgumentError && /bins \(60\) must be a multiple of 2\^depth = 8/.test(e.message));
      assert.throws(() => validateUNetConfig({ ...JANSSON_CONFIG, frames: 96 }), /frames \(96\).*64/);
      assert.throws(() => validateUNetConfig({ ...SMALL, depth: 0 }), /depth must be a positive integer/);
      assert.throws(() => validateUNetConfig({ ...SMALL, baseFilters: 2.5 }), /baseFilters/);
      assert.throws(() => validateUNetConfig(null), /must be an object/);
      assert.throws(() => buildUNet({ ...SMALL, bins: 100 }), InvalidArgumentError);
    });

    it('lists the contract weights with tfjs layouts', () => {
      const specs = expectedWeights(JANSSON_CONFIG);
      assert.equal(specs.length, 6 * 6 + 5 * 6 + 2);
      const byName = new Map(specs.map((s) => [s.name, s.shape]));
      assert.deepEqual(byName.get('enc1_conv/kernel'), [5, 5, 1, 16]);
      assert.deepEqual(byName.get('enc6_conv/kernel'), [5, 5, 256, 512]);
      assert.deepEqual(byName.get('dec1_deconv/kernel'), [5, 5, 256, 512]);
      assert.deepEqual(byName.get('dec2_deconv/kernel'), [5, 5, 128, 512]);
      assert.deepEqual(byName.get('dec6_deconv/kernel'), [5, 5, 1, 32]);
      assert.deepEqual(byName.get('dec5_bn/moving_variance'), [16]);
      assert.equal(byName.has('dec6_bn/gamma'), false);
      const params = specs.reduce((n, s) => n + s.shape.reduce((a, b) => a * b, 1), 0);
      assert.ok(params > 9e6 && params < 1.1e7, `Jansson net has ${params} parameters`);
    });
  });

  describe('tfjs model', () => {
    it('has the contract layer and weight names, shapes, and a mask × input output', () => {
      const base = tf.memory().numTensors;
      const cfg = { ...SMALL, channelsIn: 2 };
      const unet = buildUNet(cfg);
      try {
        const got = new Map(unet.model.weights.map((w) => [w.originalName, w.shape]));
        const want = new Map(expectedWeights(cfg).map((s) => [s.name, s.shape]));
        assert.deepEqual(got, want);
        assert.deepEqual(unet.model.outputs[0].shape, [null, 64, 64, 2]);
        assert.deepEqual(unet.maskModel.outputs[0].shape, [null, 64, 64, 2]);
        assert.deepEqual(unet.model.layers.filter((l) => l.name.endsWith('_dropout')).map((l) => l.name),
          ['dec1_dropout', 'dec2_dropout']);
        assignWeights(unet, randomWeights(cfg, 5).weights);
        const input = randomInput(2 * 64 * 64 * 2);
        const x = tf.tensor4d(input, [2, 64, 64, 2]);
        const mask = predictMaskTensor(unet, x);
        const mask2 = predictMaskTensor(unet, x); // no dropout at inference: deterministic
        const out = unet.model.predict(x) as tf.Tensor;
        const m = mask.dataSync();
        assert.equal(maxAbsDiff(m, mask2.dataSync()), 0);
        assert.ok(m.every((v) => v > 0 && v < 1));
        const expected = m.map((v, i) => v * input[i]);
        assert.ok(maxAbsDiff(out.dataSync(), expected) < 1e-6);
        tf.dispose([x, mask, mask2, out]);
      } finally {
        unet.dispose();
      }
      assert.equal(tf.memory().numTensors, base, 'tensors leaked');
    });

    it('uses batch norm moving statistics at inference (random test weights make BN non-trivial)', () => {
      const w = randomWeights(SMALL, 3).weights;
      const identityBn: WeightMap = new Map(w);
      for (const [name, t] of w) {
        if (/_bn\/moving_(mean|variance)$/.test(name)) {
          identityBn.set(name, { shape: t.shape, data: t.data.map(() => (name.endsWith('variance') ? 1 : 0)) });
        }
      }
      const input = randomInput(64 * 64);
      const d = maxAbsDiff(maskOf(SMALL, w, input, 1), maskOf(SMALL, identityBn, input, 1));
      assert.ok(d > 1e-3, `BN statistics change the mask by ${d}`);
    });
  });

  describe('folded inference graph (BN folded, sub-pixel deconvolutions)', () => {
    it('gives the layers model\'s mask on the same backend, without leaking tensors', () => {
      for (const cfg of [SMALL, { bins: 32, frames: 64, baseFilters: 3, depth: 5, channelsIn: 2 }]) {
        const w = randomWeights(cfg, 9).weights;
        const batch = 2;
        const input = randomInput(batch * cfg.bins * cfg.frames * cfg.channelsIn);
        const ref = maskOf(cfg, w, input, batch);
        const base = tf.memory().numTensors;
        const folded = FoldedUNet.create(cfg, w);
        const x = tf.tensor4d(input, [batch, cfg.bins, cfg.frames, cfg.channelsIn]);
        const y = folded.predict(x);
        assert.deepEqual(y.shape, x.shape);
        const d = maxAbsDiff(y.dataSync(), ref);
        assert.ok(d < 1e-5, `folded vs layers: ${d}`);
        tf.dispose([x, y]);
        folded.dispose();
        assert.equal(tf.memory().numTensors, base);
      }
    });
  });

  describe('weights I/O', () => {
    it('round-trips fp32 exactly (weights and masks), with the contract model.json', async () => {
      const unet = buildUNet(SMALL);
      const dir = path.join(tmp, 'fp32');
      let before: WeightMap;
      try {
        assignWeights(unet, randomWeights(SMALL, 11).weights);
        before = extractWeights(unet.model);
        await saveModel(dir, unet);
      } finally {
        unet.dispose();
      }
      const json = JSON.parse(fs.readFileSync(path.join(dir, 'model.json'), 'utf8')) as Record<string, unknown>;
      assert.equal(json.format, 'layers-model');
      assert.equal(json.convertedBy, null);
      assert.ok(json.modelTopology, 'the TS saver writes modelTopology');
      assert.deepEqual(json.userDefinedMetadata, {
        vocalSplit: {
          architecture: 'jansson-unet', config: SMALL, inputNormalization: 'patch-max',
          stft: { fftSize: 4096, hop: 1024, sampleRate: 44100 },
        },
      });
      const manifest = json.weightsManifest as Array<{ paths: string[]; weights: Array<{ name: string; dtype: string }> }>;
      assert.deepEqual(manifest[0].paths, ['weights.bin']);
      assert.ok(manifest[0].weights.every((w) => w.dtype === 'float32'));

      const loaded = await readModel(dir);
      assert.deepEqual(loaded.config, SMALL);
      assert.equal(loaded.dir, path.resolve(dir));
      for (const [name, t] of before) {
        assert.deepEqual(loaded.weights.get(name)?.shape, t.shape, name);
        assert.equal(maxAbsDiff(loaded.weights.get(name)?.data ?? [], t.data), 0, name);
      }
      const input = randomInput(2 * 64 * 64);
      assert.equal(maxAbsDiff(maskOf(SMALL, before, input, 2), maskOf(SMALL, loaded.weights, input, 2)), 0);

      // Plain tfjs reads the folder too (model.json with topology is a standard layers model).
      const bin = fs.readFileSync(path.join(dir, 'weights.bin'));
      const plain = await tf.loadLayersModel(tf.io.fromMemory({
        modelTopology: json.modelTopology as object,
        weightSpecs: (json.weightsManifest as Array<{ weights: tf.io.WeightsManifestEntry[] }>)[0].weights,
        weightData: bin.buffer.slice(bin.byteOffset, bin.byteOffset + bin.length),
      }));
      const x = tf.tensor4d(input, [2, 64, 64, 1]);
      const y = plain.predict(x) as tf.Tensor;
      const mask = maskOf(SMALL, loaded.weights, input, 2);
      assert.ok(maxAbsDiff(y.dataSync(), mask.map((m, i) => m * input[i])) < 1e-6);
      tf.dispose([x, y]);
      plain.dispose();
    });

    it('round-trips fp16 within tolerance, in the format tf.io.decodeWeights reads', async () => {
      const dir = path.join(tmp, 'fp16');
      const src = randomWeights(SMALL, 12);
      await saveModel(dir, src, { fp16: true });
      assert.equal(fs.statSync(path.join(dir, 'weights.bin')).size,
        2 * expectedWeights(SMALL).reduce((n, s) => n + s.shape.reduce((a, b) => a * b, 1), 0));
      const loaded = await readModel(dir);
      // Cross-check our decoder against tfjs' own.
      const json = JSON.parse(fs.readFileSync(path.join(dir, 'model.json'), 'utf8')) as {
        weightsManifest: Array<{ weights: tf.io.WeightsManifestEntry[] }>;
      };
      assert.equal(json.weightsManifest[0].weights[0].quantization?.dtype, 'float16');
      const bin = fs.readFileSync(path.join(dir, 'weights.bin'));
      const tfDecoded = tf.io.decodeWeights(bin.buffer.slice(bin.byteOffset, bin.byteOffset + bin.length),
        json.weightsManifest[0].weights);
      for (const [name, t] of src.weights) {
        const ours = loaded.weights.get(name)?.data ?? new Float32Array();
        assert.equal(maxAbsDiff(ours, tfDecoded[name].dataSync()), 0, `${name} decodes like tfjs`);
        for (let i = 0; i < t.data.length; i++) {
          assert.ok(Math.abs(ours[i] - t.data[i]) <= Math.abs(t.data[i]) * 2 ** -11 + 2 ** -24, `${name}[${i}]`);
        }
      }
      tf.dispose(Object.values(tfDecoded));
      const input = randomInput(64 * 64);
      const d = maxAbsDiff(maskOf(SMALL, src.weights, input, 1), maskOf(SMALL, loaded.weights, input, 1));
      assert.ok(d < 5e-3, `fp16 mask differs by ${d}`);
    });

    it('reads a trainer-style file: no topology, shuffled order, several shards', async () => {
      const dir = path.join(tmp, 'trainer');
      const src = randomWeights(SMALL, 13);
      const specs = expectedWeights(SMALL).reverse();
      const bytes = Buffer.concat(specs.map((s) => {
        const d = src.weights.get(s.name)?.data ?? new Float32Array();
        return Buffer.from(d.buffer, d.byteOffset, d.byteLength);
      }));
      fs.mkdirSync(dir);
      fs.writeFileSync(path.join(dir, 'group1-shard1of2.bin'), bytes.subarray(0, 1001));
      fs.writeFileSync(path.join(dir, 'group1-shard2of2.bin'), bytes.subarray(1001));
      fs.writeFileSync(path.join(dir, 'model.json'), JSON.stringify({
        format: 'layers-model', generatedBy: 'torch', convertedBy: null,
        userDefinedMetadata: { vocalSplit: { architecture: 'jansson-unet', config: SMALL, inputNormalization: 'patch-max', stft: { fftSize: 4096, hop: 1024, sampleRate: 44100 } } },
        weightsManifest: [{ paths: ['group1-shard1of2.bin', 'group1-shard2of2.bin'], weights: specs.map((s) => ({ ...s, dtype: 'float32' })) }],
      }));
      const loaded = await readModel(dir);
      for (const [name, t] of src.weights) assert.equal(maxAbsDiff(loaded.weights.get(name)?.data ?? [], t.data), 0);
    });

    describe('errors name the file and the weight', () => {
      let good: string;
      before(async () => {
        good = path.join(tmp, 'good');
        await createRandomModel(good, SMALL, { seed: 2 });
      });
      const variant = (name: string, edit: (json: Record<string, unknown>) => void): string => {
        const dir = path.join(tmp, name);
        fs.mkdirSync(dir, { recursive: true });
        fs.copyFileSync(path.join(good, 'weights.bin'), path.join(dir, 'weights.bin'));
        const json = JSON.parse(fs.readFileSync(path.join(good, 'model.json'), 'utf8')) as Record<string, unknown>;
        edit(json);
        fs.writeFileSync(path.join(dir, 'model.json'), JSON.stringify(json));
        return dir;
      };
      // readModelInfo (model.json and the weight files' sizes: what the main thread reads for the onnx
      // engine) finds each of these too, with the same error.
      const rejects = async (dir: string, code: string, pattern: RegExp): Promise<void> => {
        for (const read of [readModel, readModelInfo]) {
          await assert.rejects(read(dir), (e: unknown) => {
            assert.ok(e instanceof ModelError, String(e));
            assert.equal(e.code, code, `${read.name}: ${e.message}`);
            assert.match(e.message, pattern);
            return true;
          });
        }
      };
      type Manifest = Array<{ paths: string[]; weights: Array<{ name: string; shape: number[]; dtype?: string }> }>;

      it('missing folder or model.json', async () => {
        await rejects(path.join(tmp, 'nope'), 'MODEL_NOT_FOUND', /nope[/\\]model\.json: cannot read the model \(ENOENT\)/);
      });
      it('corrupt model.json', async () => {
        const dir = path.join(tmp, 'corrupt');
        fs.mkdirSync(dir);
        fs.writeFileSync(path.join(dir, 'model.json'), '{"format": "layers-model", ');
        await rejects(dir, 'MODEL_CORRUPT', /corrupt[/\\]model\.json: not valid JSON/);
      });
      it('not a vocal-split model, or a bad config', async () => {
        await rejects(variant('nometa', (j) => { delete j.userDefinedMetadata; }), 'MODEL_CORRUPT',
          /nometa[/\\]model\.json: userDefinedMetadata\.vocalSplit is missing/);
        await rejects(variant('badcfg', (j) => {
          (j.userDefinedMetadata as { vocalSplit: { config: UNetConfig } }).vocalSplit.config.bins = 60;
        }), 'MODEL_CORRUPT', /badcfg[/\\]model\.json.*bins \(60\)/);
      });
      it('a weight of the wrong shape', async () => {
        await rejects(variant('shape', (j) => {
          const w = (j.weightsManifest as Manifest)[0].weights;
          const a = w.find((x) => x.name === 'enc2_conv/kernel');
          const b = w.find((x) => x.name === 'enc2_conv/bias');
          if (!a || !b) throw new Error('fixture');
          a.shape = [5, 5, 8, 4]; // same size, wrong layout
        }), 'MODEL_WEIGHT_SHAPE', /shape[/\\]model\.json: weight 'enc2_conv\/kernel' has shape \[5,5,8,4\], expected \[5,5,4,8\]/);
      });
      it('a missing weight, an unexpected weight', async () => {
        await rejects(variant('missing', (j) => {
          const w = (j.weightsManifest as Manifest)[0].weights;
          const i = w.findIndex((x) => x.name === 'dec2_bn/moving_mean');
          w[i].name = 'dec2_bn/running_mean';
        }), 'MODEL_WEIGHT_MISSING', /missing[/\\]model\.json: weight 'dec2_bn\/moving_mean' \(shape \[4\]\) is missing/);
        await rejects(variant('extra', (j) => {
          (j.weightsManifest as Manifest)[0].weights.push({ name: 'dec9_bn/gamma', shape: [0], dtype: 'float32' });
        }), 'MODEL_WEIGHT_UNEXPECTED', /extra[/\\]model\.json: unexpected weight\(s\) 'dec9_bn\/gamma'/);
      });
      it('missing or truncated weights.bin', async () => {
        const dir = variant('nobin', () => undefined);
        fs.rmSync(path.join(dir, 'weights.bin'));
        await rejects(dir, 'MODEL_NOT_FOUND', /nobin[/\\]weights\.bin: cannot read the weights listed in .*model\.json/);
        const dir2 = variant('truncated', () => undefined);
        fs.truncateSync(path.join(dir2, 'weights.bin'), 1000);
        await rejects(dir2, 'MODEL_CORRUPT', /truncated[/\\]model\.json: weight '.*' runs past the end/);
      });
    });

    it('fp16 conversion rounds to nearest even and keeps specials', () => {
      assert.equal(toHalfBits(1), 0x3c00);
      assert.equal(toHalfBits(-2), 0xc000);
      assert.equal(toHalfBits(65504), 0x7bff);
      assert.equal(toHalfBits(1e6), 0x7c00);
      assert.equal(toHalfBits(2 ** -24), 0x0001);
      assert.equal(toHalfBits(1 + 2 ** -11), 0x3c00); // tie → even
      assert.equal(toHalfBits(1 + 3 * 2 ** -11), 0x3c02); // tie → even (up)
      assert.equal(fromHalfBits(0x3555), 0.333251953125);
      const vals = new Float32Array([0, -0, 1.5, -3.25, 1e-5, 60000]);
      assert.deepEqual(Array.from(decodeFloat16(encodeFloat16(vals), vals.length)),
        Array.from(vals).map((v) => fromHalfBits(toHalfBits(v))));
    });
  });
});
