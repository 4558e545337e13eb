/**
 * Run as a child process by test/onnx_missing_spec.ts: deploys one vocal-split node (backend auto) in
 * a real Node-RED runtime (node-red-node-test-helper) with the model folder given as argument, waits
 * until its model is ready, and prints what the node showed and logged as one JSON line.
 */
import vocalSplitInit from '../../nodes/vocal-split/vocal-split';
import { helper, loadFlow, localized, recordStatuses } from './node-red';

async function main(): Promise<void> {
  await loadFlow([localized(vocalSplitInit, 'vocal-split')], [{ id: 'split', type: 'vocal-split', model: process.argv[2], backend: 'auto', wires: [[], []] }]);
  const node = helper.getNode('split');
  const statuses = recordStatuses(node);
  const warnings: string[] = [];
  (node as unknown as import('node:events').EventEmitter).on('call:warn', (call: { args: unknown[] }) => { warnings.push(String(call.args[0])); });
  const deadline = Date.now() + 30_000;
  // The first status is "loading model…"; the next one is the idle status with the backend.
  while (!statuses.some((s) => s.shape === 'ring' && !/loading/.test(s.text ?? '')) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
  process.stdout.write(`${JSON.stringify({ statuses, warnings })}\n`);
  await helper.unload();
}

main().then(() => process.exit(0), (err: unknown) => { console.error(err); process.exit(1); });
