/** The compiled CLI, run as a user would: `node dist/bin/vocal-split.js ...`. */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { FIXTURES, REPO_ROOT } from './helpers/audio';

const CLI = path.join(REPO_ROOT, 'dist', 'bin', 'vocal-split.js');

function cli(...args: string[]): { code: number | null; stdout: string; stderr: string } {
  const r = spawnSync(process.execPath, [CLI, ...args], { cwd: REPO_ROOT, encoding: 'utf8', timeout: 20000 });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

describe('cli: vocal-split', () => {
  it('--help lists the commands and exits 0; no arguments prints it to stderr and exits 1', () => {
    const help = cli('--help');
    assert.equal(help.code, 0);
    assert.match(help.stdout, /^Usage: vocal-split <command>/);
    assert.match(help.stdout, /^\s+info\s+\S/m);
    const none = cli();
    assert.equal(none.code, 1);
    assert.match(none.stderr, /Usage: vocal-split/);
  });

  it('--version prints the package version', () => {
    const pkg = JSON.parse(fs.readFileSync(path.join(REPO_ROOT, 'package.json'), 'utf8')) as { version: string };
    assert.deepEqual(cli('--version'), { code: 0, stdout: `${pkg.version}\n`, stderr: '' });
  });

  it('info <wav> prints format, codec, rate, channels, duration and bit depth', () => {
    const r = cli('info', path.join(FIXTURES, 'wav_s24_stereo_16k.wav'));
    assert.equal(r.code, 0, r.stderr);
    assert.equal(r.stderr, '');
    assert.match(r.stdout, /^format:\s+wav \(pcm_s24le\)$/m);
    assert.match(r.stdout, /^sample rate:\s+16000 Hz$/m);
    assert.match(r.stdout, /^channels:\s+2$/m);
    assert.match(r.stdout, /^duration:\s+1\.000 s \(16000 samples per channel\)$/m);
    assert.match(r.stdout, /^bit depth:\s+24$/m);
  });

  it('info <opus> has no bit depth line (lossy); info --json gives one parseable object', () => {
    const text = cli('info', path.join(FIXTURES, 'opus_stereo_48k.opus'));
    assert.equal(text.code, 0, text.stderr);
    assert.match(text.stdout, /^format:\s+opus \(opus\)$/m);
    assert.match(text.stdout, /^sample rate:\s+48000 Hz$/m);
    assert.doesNotMatch(text.stdout, /bit depth/);
    const json = cli('info', '--json', path.join(FIXTURES, 'wav_f32_stereo_16k.wav'));
    assert.equal(json.code, 0, json.stderr);
    assert.deepEqual(JSON.parse(json.stdout), {
      file: path.join(FIXTURES, 'wav_f32_stereo_16k.wav'), format: 'wav', codec: 'pcm_f32le', sampleRate: 16000,
      channels: 2, samples: 16000, durationSeconds: 1, bitDepth: 32, sampleFormat: 'float',
    });
  });

  describe('errors: one line on stderr, exit 1', () => {
    let dir = '';
    before(() => { dir = fs.mkdtempSync(path.join(os.tmpdir(), 'vocal-split-cli-')); });
    after(() => fs.rmSync(dir, { recursive: true, force: true }));

    function oneLineError(r: { code: number | null; stdout: string; stderr: string }, pattern: RegExp): void {
      assert.equal(r.code, 1);
      assert.equal(r.stdout, '');
      assert.equal(r.stderr.split('\n').filter(Boolean).length, 1, r.stderr);
      assert.match(r.stderr, pattern);
    }

    it('a file that is not audio', () => {
      const bad = path.join(dir, 'song.mp3');
      fs.writeFileSync(bad, 'definitely not an mp3\n'.repeat(20));
      oneLineError(cli('info', bad), /^vocal-split info: .*song\.mp3: .*not a recognised audio format.*\(UNKNOWN_FORMAT\)$/m);
    });

    it('a truncated WAV', () => {
      const cut = path.join(dir, 'cut.wav');
      fs.writeFileSync(cut, fs.readFileSync(path.join(FIXTURES, 'wav_s16_stereo_44k.wav')).subarray(0, 5000));
      oneLineError(cli('info', cut), /cut\.wav: WAV: data chunk claims .*\(TRUNCATED\)$/m);
    });

    it('a missing file, a directory, a missing argument, an unknown command or option', () => {
      oneLineError(cli('info', path.join(dir, 'nope.wav')), /^vocal-split info: cannot read '.*nope\.wav': no such file or directory$/m);
      oneLineError(cli('info', dir), /is not a regular file/);
      oneLineError(cli('info'), /^vocal-split info: missing <file> \(Usage: vocal-split info/m);
      oneLineError(cli('info', '--loud', 'x.wav'), /unknown option '--loud'/);
      oneLineError(cli('transmogrify'), /^vocal-split: unknown command 'transmogrify'/m);
    });
  });
});
