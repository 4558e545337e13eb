/**
 * The vocal-split node with "Run on: a worker pool", in a real Node-RED runtime, with Node-RED's own
 * mqtt-broker config node pointing at a real mosquitto and a real `vocal-split worker` process.
 */
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import type { NodeMessage } from 'node-red';
import type { AudioData } from '../lib/audio/types';
import { decodeAudio } from '../lib/audio/decode';
import vocalSplitInit from '../nodes/vocal-split/vocal-split';
import { startMosquitto, MOSQUITTO, type Broker } from './support/mosquitto';
import { MIR1K_SAMPLE, coreNode, helper, loadFlow, localized, nextMessage, recordStatuses, smallTestModel, type FlowNode } from './support/node-red';
import { catchNode, expectCaught, expectRuntimeRejects, maxAbsDiff, standardFlow, underTest } from './support/node-specs';
import { WorkerProcess } from './support/mqtt-pool-workers';

const TYPE = 'vocal-split';
const node = localized(vocalSplitInit, TYPE);
const mqttNodes = coreNode('network/10-mqtt.js');
type StemMsg<T> = NodeMessage & { payload: T; stem: string; filename?: string };

function brokerNode(broker: Broker): FlowNode {
  const url = new URL(broker.url);
  // With z and without x/y: a config node of the test tab (loadFlow would place it as a flow node).
  return { id: 'broker-config', type: 'mqtt-broker', z: 'test-tab', name: 'test broker', broker: url.hostname, port: url.port, protocolVersion: '5', clientid: '', usetls: false, autoConnect: true, keepalive: '60', cleansession: true };
}

/** Both outputs of node `id` (wired to `<prefix>` and `<prefix>2`) for one message. */
async function stemsOf<T>(id: string, prefix: string, msg: NodeMessage): Promise<[StemMsg<T>, StemMsg<T>]> {
  const both = Promise.all([nextMessage<StemMsg<T>>(helper.getNode(prefix)), nextMessage<StemMsg<T>>(helper.getNode(`${prefix}2`))]);
  helper.getNode(id).receive(msg);
  return both;
}

describe('vocal-split node: run on a worker pool (mosquitto + vocal-split worker)', function () {
  this.timeout(120_000);
  let broker: Broker;
  let model: string;
  let worker: WorkerProcess | undefined;
  before(async function () {
    if (!MOSQUITTO) this.skip();
    broker = await startMosquitto();
    model = await smallTestModel();
  });
  afterEach(async function () {
    await helper.unload();
    await worker?.kill();
    worker = undefined;
  });
  after(async function () {
    await broker?.stop();
  });

  it('gives the same stems as a local run, passes the message through, shows the progress', async function () {
    worker = await new WorkerProcess(['--broker', broker.url, '--jobs', 'node-pool/jobs', '--model', model, '--backend', 'onnx', '--client-id', 'node-pool-worker']).start();
    await loadFlow([node, catchNode, mqttNodes], [
      ...standardFlow(TYPE, { runOn: 'pool', broker: 'broker-config', poolTopic: 'node-pool/jobs', poolTimeout: '60', output: 'auto', folder: 'dir', folderType: 'msg' }, 2),
      brokerNode(broker),
      { id: 'local', type: TYPE, runOn: 'local', model, backend: 'onnx', output: 'auto', wires: [['lout'], ['lout2']] },
      { id: 'lout', type: 'helper' },
      { id: 'lout2', type: 'helper' },
    ]);
    const statuses = recordStatuses(underTest());
    const bytes = fs.readFileSync(path.join(MIR1K_SAMPLE, 'Kenshin_2_10.wav'));
    // WAV bytes in, WAV bytes out (16-bit): the very same bytes.
    const pool = await stemsOf<Buffer>('under-test', 'out', { payload: bytes, filename: 'Kenshin_2_10.wav', topic: 'song-7' } as NodeMessage);
    const local = await stemsOf<Buffer>('local', 'lout', { payload: bytes });
    for (const i of [0, 1]) {
      assert.ok(Buffer.isBuffer(pool[i].payload));
      assert.equal(pool[i].stem, local[i].stem);
      assert.equal(pool[i].filename, 'Kenshin_2_10.wav');
      assert.equal(pool[i].topic, 'song-7');
      const diff = maxAbsDiff(await decodeAudio(pool[i].payload), await decodeAudio(local[i].payload));
      assert.ok(diff <= 1e-6, `${pool[i].stem} differs by ${diff}`);
    }
    assert.deepEqual([pool[0].stem, pool[1].stem], ['vocals', 'accompaniment']);
    // Audio in, audio out: equal within 1e-6 to the local node's.
    const song = await decodeAudio(bytes);
    const poolAudio = await stemsOf<AudioData>('under-test', 'out', { payload: song });
    const localAudio = await stemsOf<AudioData>('local', 'lout', { payload: song });
    for (const i of [0, 1]) assert.ok(maxAbsDiff(poolAudio[i].payload, localAudio[i].payload) <= 1e-6);
    // A file path, read from the folder msg.dir names (Folder is a typedInput read per message): the stems of its bytes.
    const byPath = await stemsOf<Buffer>('under-test', 'out', { payload: 'Kenshin_2_10.wav', dir: MIR1K_SAMPLE } as NodeMessage);
    for (const i of [0, 1]) assert.ok(maxAbsDiff(await decodeAudio(byPath[i].payload), await decodeAudio(pool[i].payload)) <= 1e-6, `${byPath[i].stem} by path`);
    await new Promise((r) => setImmediate(r));
    assert.ok(statuses.some((s) => s.fill === 'blue' && /%/.test(s.text ?? '')), `progress shown (saw ${JSON.stringify(statuses)})`);
    await worker.waitFor(/ done in /, 10_000, worker.lines.findIndex((l) => / done in /.test(l)) + 1); // both jobs done by the worker
  });

  it('no worker answers: the message fails with a clear error after the timeout, and the node goes on', async function () {
    await loadFlow([node, catchNode, mqttNodes], [
      ...standardFlow(TYPE, { runOn: 'pool', broker: 'broker-config', poolTopic: 'node-pool/nobody', poolTimeout: '0.3' }, 2),
      brokerNode(broker),
    ]);
    const bytes = fs.readFileSync(path.join(MIR1K_SAMPLE, 'ariel_4_03.wav'));
    await expectCaught({ payload: bytes }, /no worker answered: 3 × 0 s .*node-pool\/nobody.*is a vocal-split worker running/);
    // A worker's error answer comes back as the message's error too.
    worker = await new WorkerProcess(['--broker', broker.url, '--jobs', 'node-pool/nobody', '--model', model, '--backend', 'onnx', '--client-id', 'node-pool-late']).start();
    await expectCaught({ payload: Buffer.from('not audio') }, /format|audio/i);
  });

  it('refuses pool mode without a broker, and a bad timeout', async function () {
    await loadFlow([node, catchNode], standardFlow(TYPE, { runOn: 'pool', broker: '' }, 2));
    await expectRuntimeRejects(/needs an MQTT broker/);
    await helper.unload();
    await loadFlow([node, catchNode, mqttNodes], [...standardFlow(TYPE, { runOn: 'pool', broker: 'broker-config', poolTimeout: 'soon' }, 2), brokerNode(broker)]);
    await expectRuntimeRejects(/timeout must be/);
    await helper.unload();
    await loadFlow([node, catchNode], standardFlow(TYPE, { runOn: 'cloud' }, 2));
    await expectRuntimeRejects(/run on must be local or pool/);
  });
});
