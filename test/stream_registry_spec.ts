/**
 * StreamRegistry (lib/stream): a key's chunks run in order on one stream; after a chunk fails or
 * cannot be read, or after the last chunk, the key's next chunks (already queued or not) run on a
 * new stream, never on the disposed one, and two streams of a key never interleave.
 */
import assert from 'node:assert/strict';
import { StreamClosedError, StreamRegistry } from '../lib/stream/stream-registry';

/** A stream that numbers its chunks and refuses any use after dispose(), as libsamplerate should. */
class FakeStream {
  static created = 0;
  readonly id = ++FakeStream.created;
  disposed = 0;
  chunks = 0;

  dispose(): void {
    this.disposed++;
  }

  /** One event-loop turn of work, like a real chunk's; fails on 'bad'. */
  async push(chunk: string): Promise<string> {
    if (this.disposed) throw new Error(`stream ${this.id} used after dispose()`);
    await new Promise((r) => setImmediate(r));
    if (this.disposed) throw new Error(`stream ${this.id} disposed while working`);
    if (chunk === 'bad') throw new Error('bad chunk');
    return `${this.id}:${this.chunks++}:${chunk}`;
  }
}

interface Outcome { chunk: string; result?: string; error?: string }

/** Queues every chunk of `plan` at once (as a flood of messages does), returns outcomes in completion order. */
async function runAll(registry: StreamRegistry<FakeStream>, plan: Array<{ key: string; chunk: string; last?: boolean; unreadable?: boolean }>): Promise<Outcome[]> {
  const done: Outcome[] = [];
  const all = plan.map(({ key, chunk, last, unreadable }) => {
    try {
      registry.parseFor(key, () => {
        if (unreadable) throw new Error('unreadable chunk');
      });
    } catch (err) {
      done.push({ chunk, error: (err as Error).message });
      return Promise.resolve();
    }
    return registry.run(key, async () => new FakeStream(), (s) => s.push(chunk), { last }).then(
      (result) => { done.push({ chunk, result }); },
      (err: Error) => { done.push({ chunk, error: err.message }); },
    );
  });
  await Promise.all(all);
  return done;
}

describe('StreamRegistry', function () {
  let streams: FakeStream[];
  let registry: StreamRegistry<FakeStream>;
  beforeEach(function () {
    streams = [];
    FakeStream.created = 0;
    registry = new StreamRegistry<FakeStream>({ idleMs: 60_000 });
    const run = registry.run.bind(registry);
    // Keep every stream made, to check dispose() afterwards.
    registry.run = ((key, create, work, options) => run(key, async () => {
      const s = await create();
      streams.push(s);
      return s;
    }, work, options)) as typeof registry.run;
  });
  afterEach(async function () {
    await registry.closeAll();
  });

  it('after a failed chunk, runs the chunks already queued for its key on a new stream, in order, without interleaving', async function () {
    const plan = [
      { key: 'k', chunk: 'a1' }, { key: 'j', chunk: 'b1' }, { key: 'k', chunk: 'a2' }, { key: 'k', chunk: 'bad' },
      { key: 'j', chunk: 'b2' }, { key: 'k', chunk: 'a3' }, { key: 'k', chunk: 'a4' }, { key: 'k', chunk: 'a5' }, { key: 'j', chunk: 'b3' },
    ];
    const done = await runAll(registry, plan);
    const ofK = done.filter((o) => o.chunk.startsWith('a') || o.chunk === 'bad');
    assert.deepEqual(ofK.map((o) => o.result ?? o.error), ['1:0:a1', '1:1:a2', 'bad chunk', '3:0:a3', '3:1:a4', '3:2:a5'],
      'k: stream 1 up to the bad chunk, then a new stream from its first chunk on');
    assert.deepEqual(done.filter((o) => /^b\d$/.test(o.chunk)).map((o) => o.result), ['2:0:b1', '2:1:b2', '2:2:b3'], 'j is untouched');
    assert.deepEqual(streams.map((s) => s.disposed), [1, 0, 0], 'the failed stream is disposed once; the others live on');
  });

  it('after an unreadable chunk, finishes the chunks queued before it on the old stream and starts a new one after', async function () {
    const done = await runAll(registry, [
      { key: 'k', chunk: 'a1' }, { key: 'k', chunk: 'a2' }, { key: 'k', chunk: 'x', unreadable: true }, { key: 'k', chunk: 'a3' }, { key: 'k', chunk: 'a4' },
    ]);
    assert.deepEqual(done.map((o) => o.result ?? o.error), ['unreadable chunk', '1:0:a1', '1:1:a2', '2:0:a3', '2:1:a4']);
    assert.deepEqual(streams.map((s) => s.disposed), [1, 0]);
  });

  it('starts a new stream for chunks queued after the last one (msg.complete)', async function () {
    const done = await runAll(registry, [{ key: 'k', chunk: 'a1' }, { key: 'k', chunk: 'a2', last: true }, { key: 'k', chunk: 'c1' }]);
    assert.deepEqual(done.map((o) => o.result), ['1:0:a1', '1:1:a2', '2:0:c1']);
    assert.deepEqual(streams.map((s) => s.disposed), [1, 0]);
    assert.deepEqual(registry.keys(), ['k']);
  });

  it('on close, lets the running chunk finish, refuses the queued ones, then disposes the stream', async function () {
    let started!: () => void;
    const running = new Promise<void>((resolve) => { started = resolve; });
    const first = registry.run('k', async () => new FakeStream(), (s) => {
      started();
      return s.push('a1');
    });
    const queued = registry.run('k', async () => new FakeStream(), (s) => s.push('a2'));
    await running;
    const closing = registry.closeAll();
    assert.equal(await first, '1:0:a1');
    await assert.rejects(queued, StreamClosedError);
    await closing;
    assert.deepEqual(streams.map((s) => s.disposed), [1]);
    assert.equal(registry.size, 0);
  });

  it('drops a stream that stays idle, and the next chunk of its key starts a new one', async function () {
    const idle = new Promise<string>((resolve) => { registry = new StreamRegistry<FakeStream>({ idleMs: 1, onIdle: resolve }); });
    const s = await registry.run('k', async () => new FakeStream(), async (st) => st);
    assert.equal(registry.size, 1);
    assert.equal(await idle, 'k');
    assert.equal(s.disposed, 1);
    assert.equal(registry.size, 0);
    const next = await registry.run('k', async () => new FakeStream(), async (st) => st);
    assert.notEqual(next, s);
  });
});
