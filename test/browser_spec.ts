/**
 * The editor and the karaoke page in a real headless browser (Debian's chromium through
 * playwright-core), against the real `npm start` process. Screenshots go to test-artifacts/;
 * with UPDATE_DOCS_SCREENSHOTS=1 they are also copied to docs/ for the README.
 * Skipped when /usr/bin/chromium (or CHROMIUM_PATH) is missing; .ci/run installs it.
 */
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { startDemo, type Demo } from './support/demo';
import { MIR1K_SAMPLE, REPO_ROOT } from './support/paths';

const CHROMIUM = process.env.CHROMIUM_PATH || '/usr/bin/chromium';
const ARTIFACTS = path.join(REPO_ROOT, 'test-artifacts');

function saveScreenshot(name: string, png: Buffer): void {
  fs.mkdirSync(ARTIFACTS, { recursive: true });
  fs.writeFileSync(path.join(ARTIFACTS, name), png);
  if (process.env.UPDATE_DOCS_SCREENSHOTS === '1') {
    fs.mkdirSync(path.join(REPO_ROOT, 'docs'), { recursive: true });
    fs.writeFileSync(path.join(REPO_ROOT, 'docs', name), png);
  }
}

describe('in a browser: the editor and the karaoke page of npm start', function () {
  this.timeout(60_000);
  let demo: Demo | undefined;
  let base: string;
  let browserDir: string;
  /* eslint-disable @typescript-eslint/no-explicit-any */
  let context: any;

  before(async function () {
    if (!fs.existsSync(CHROMIUM)) this.skip();
    demo = await startDemo(['is running', 'Started flows'], 'vocal-split-browser-');
    base = demo.base;
    browserDir = fs.mkdtempSync(path.join(os.tmpdir(), 'vocal-split-chromium-'));
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    const { chromium } = require('playwright-core') as { chromium: any };
    context = await chromium.launchPersistentContext(browserDir, {
      executablePath: CHROMIUM,
      headless: true,
      viewport: { width: 1280, height: 800 },
      args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update',
        '--disable-sync', '--no-first-run', '--disable-quic', '--autoplay-policy=no-user-gesture-required'],
    });
  });

  after(async function () {
    if (context) await context.close();
    await demo?.stop();
    if (browserDir) fs.rmSync(browserDir, { recursive: true, force: true });
  });

  it('shows our nodes in the editor\'s palette and opens vocal split\'s help', async function () {
    const page = await context.newPage();
    await page.goto(`${base}/`);
    const node = page.locator('.red-ui-palette-node[data-palette-type="vocal-split"]');
    await node.waitFor({ state: 'visible', timeout: 30_000 });
    for (const type of ['vocal-split-decode', 'vocal-split-stft', 'vocal-split-unet-mask', 'vocal-split-apply-mask', 'vocal-split-istft', 'vocal-split-encode']) {
      assert.equal(await page.locator(`.red-ui-palette-node[data-palette-type="${type}"]`).count(), 1, type);
    }
    // The help sidebar, as its book icon or the palette node's context help opens it; the flow with our node in view.
    await page.locator('#red-ui-workspace-tabs a', { hasText: 'Karaoke (HTTP)' }).first().click();
    await page.evaluate(() => (globalThis as any).RED.sidebar.help.show('vocal-split'));
    await page.locator('#red-ui-palette-search input').first().click();
    await page.keyboard.type('vocal', { delay: 20 });  // our category alone in the palette
    await page.mouse.move(600, 500);
    await page.waitForFunction(() => {
      const sidebar = (globalThis as any).document.querySelector('#red-ui-sidebar-content');
      return sidebar && /Splits a song into vocals and accompaniment/.test(sidebar.innerText);
    }, undefined, { timeout: 15_000 });
    await page.waitForTimeout(500);
    saveScreenshot('editor.png', await page.screenshot());
    await page.close();
  });

  it('uploads a song on the karaoke page and gets two playable stems', async function () {
    const page = await context.newPage();
    await page.goto(`${base}/karaoke`);
    await page.setInputFiles('#song', path.join(MIR1K_SAMPLE, 'Ani_1_06.wav'));
    await page.click('#go');
    await page.locator('#results').waitFor({ state: 'visible', timeout: 50_000 });
    assert.match(await page.locator('#status').innerText(), /^Done/);
    for (const stem of ['vocals', 'accompaniment']) {
      const duration = await page.evaluate(async (id: string) => {
        const audio = (globalThis as any).document.getElementById(id);
        if (audio.readyState < 1) await new Promise((r) => audio.addEventListener('loadedmetadata', r, { once: true }));
        return audio.duration;
      }, stem);
      assert.ok(duration > 5 && duration < 15, `${stem}: ${duration} s`);
      assert.match(await page.locator(`#${stem}-download`).getAttribute('download'), new RegExp(`^Ani_1_06\\.${stem}\\.wav$`));
    }
    saveScreenshot('karaoke.png', await page.screenshot({ fullPage: true }));
    await page.close();
  });
});
