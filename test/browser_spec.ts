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
import { ADMIN_PASSWORD, startDemo, type Demo } from './support/demo';
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

/* eslint-disable @typescript-eslint/no-explicit-any */
/** Debian's chromium through playwright-core, headless, in a throw-away profile. */
async function launchChromium(): Promise<{ context: any; close(): Promise<void> }> {
  const profile = fs.mkdtempSync(path.join(os.tmpdir(), 'vocal-split-chromium-'));
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const { chromium } = require('playwright-core') as { chromium: any };
  const context = await chromium.launchPersistentContext(profile, {
    executablePath: CHROMIUM,
    headless: true,
    viewport: { width: 1280, height: 800 },
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update',
      '--disable-sync', '--no-first-run', '--disable-quic', '--autoplay-policy=no-user-gesture-required'],
  });
  return { context, close: async () => { await context.close(); fs.rmSync(profile, { recursive: true, force: true }); } };
}

/** Opens the editor at `base`, logging in (user admin, ADMIN_PASSWORD) if it asks. */
async function openEditor(page: any, base: string): Promise<void> {
  await page.goto(`${base}/`);
  const login = page.locator('#node-dialog-login-username');
  const palette = page.locator('.red-ui-palette-node').first();
  await Promise.race([
    login.waitFor({ state: 'visible', timeout: 30_000 }).catch(() => undefined),
    palette.waitFor({ state: 'visible', timeout: 30_000 }).catch(() => undefined),
  ]);
  if (await login.isVisible()) {
    await page.fill('#node-dialog-login-username', 'admin');
    await page.fill('#node-dialog-login-password', ADMIN_PASSWORD);
    await page.click('#node-dialog-login-submit');
  }
}

describe('in a browser: the editor and the karaoke page of npm start', function () {
  this.timeout(60_000);
  let demo: Demo | undefined;
  let base: string;
  let browser: { context: any; close(): Promise<void> } | undefined;
  let context: any;

  before(async function () {
    if (!fs.existsSync(CHROMIUM)) this.skip();
    demo = await startDemo(['is running', 'Started flows'], 'vocal-split-browser-');
    base = demo.base;
    browser = await launchChromium();
    ({ context } = browser);
  });

  after(async function () {
    await browser?.close();
    await demo?.stop();
  });

  it('asks for the login, then shows our nodes in the editor\'s palette and opens vocal split\'s help', async function () {
    const page = await context.newPage();
    await page.goto(`${base}/`);
    // npm start's editor needs a login (user admin; the password is NODE_RED_ADMIN_PASSWORD here).
    await page.locator('#node-dialog-login-username').waitFor({ state: 'visible', timeout: 30_000 });
    await page.fill('#node-dialog-login-username', 'admin');
    await page.fill('#node-dialog-login-password', ADMIN_PASSWORD);
    await page.click('#node-dialog-login-submit');
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

  it('shows every example tab with every node valid and inside the canvas, and calls nothing outside Node-RED', async function () {
    const page = await context.newPage();
    const external: string[] = [];
    page.on('request', (r: any) => { if (!r.url().startsWith(base) && !r.url().startsWith('data:')) external.push(r.url()); });
    await openEditor(page, base);
    await page.locator('.red-ui-palette-node[data-palette-type="vocal-split"]').waitFor({ state: 'visible', timeout: 30_000 });
    const tabs = (await page.evaluate(() => {
      const out: Array<{ id: string; label: string }> = [];
      (globalThis as any).RED.nodes.eachWorkspace((ws: any) => { out.push({ id: ws.id, label: ws.label }); });
      return out;
    })) as Array<{ id: string; label: string }>;
    assert.equal(tabs.length, fs.readdirSync(path.join(REPO_ROOT, 'examples')).filter((f) => f.endsWith('.json')).length);
    // The whole width for the flow: palette and sidebar hidden.
    await page.evaluate(() => { (globalThis as any).RED.actions.invoke('core:toggle-palette', false); (globalThis as any).RED.actions.invoke('core:toggle-sidebar', false); });
    for (const tab of tabs) {
      await page.evaluate((id: string) => (globalThis as any).RED.workspaces.show(id), tab.id);
      await page.waitForTimeout(700); // drawn, statuses in
      const nodes = (await page.evaluate((id: string) => {
        const out: any[] = [];
        (globalThis as any).RED.nodes.eachNode((n: any) => {
          if (n.z === id) out.push({ id: n.id, type: n.type, left: n.x - n.w / 2, top: n.y - n.h / 2, valid: n.valid, errors: n.validationErrors });
        });
        return out;
      }, tab.id)) as Array<{ id: string; type: string; left: number; top: number; valid: boolean; errors?: string[] }>;
      for (const n of nodes) {
        assert.notEqual(n.valid, false, `${tab.label}: ${n.type} ${n.id} is not properly configured (${(n.errors ?? []).join(', ')})`);
        assert.ok(n.left >= 0 && n.top >= 0, `${tab.label}: ${n.type} ${n.id} starts off the canvas (${n.left}, ${n.top})`);
      }
      saveScreenshot(`tab-${tab.label.toLowerCase().replace(/[^a-z0-9]+/g, '-').replace(/^-|-$/g, '')}.png`, await page.screenshot());
    }
    assert.deepEqual(external, [], 'the editor calls nothing outside this Node-RED (no palette catalogue, no update check)');
    await page.close();
  });

  it('the stream settings of vocal split fit their rows: "Hz" and "ch" beside their inputs', async function () {
    const page = await context.newPage();
    await openEditor(page, base);
    await page.locator('.red-ui-palette-node[data-palette-type="vocal-split"]').waitFor({ state: 'visible', timeout: 30_000 });
    await page.evaluate(() => {
      const RED = (globalThis as any).RED;
      RED.workspaces.show('d4m1tab000000001');
      RED.editor.edit(RED.nodes.node('d4m1split0000001'));
    });
    await page.locator('#node-input-pcmChannels').waitFor({ state: 'visible', timeout: 10_000 });
    await page.waitForTimeout(500);
    const rows = (await page.evaluate(() => {
      const doc = (globalThis as any).document;
      const box = (el: any) => el.getBoundingClientRect();
      const channels = doc.getElementById('node-input-pcmChannels');
      const rate = doc.getElementById('node-input-pcmRate');
      // The "ch" text node right after the channels input.
      const range = doc.createRange();
      range.selectNodeContents(channels.parentElement);
      const texts = [...channels.parentElement.childNodes].filter((n: any) => n.nodeType === 3 && /ch/.test(n.textContent));
      range.selectNode(texts[0]);
      return { channels: box(channels).top, ch: range.getBoundingClientRect().top, rate: box(rate).top, chars: (texts[0].textContent as string).trim() };
    })) as { channels: number; ch: number; rate: number; chars: string };
    assert.equal(rows.chars, 'ch');
    assert.ok(Math.abs(rows.ch - rows.channels) < 12, `"ch" on the channels input's line (${rows.ch} vs ${rows.channels})`);
    assert.ok(Math.abs(rows.rate - rows.channels) < 4, 'rate and channels on one line');
    saveScreenshot('dialog-stream.png', await page.screenshot());
    await page.close();
  });

  it('Stream key and Folder are typedInputs; nodes saved before them open as msg.<key> and a text folder, valid, and save the type; Backend lists every backend', async function () {
    const page = await context.newPage();
    await openEditor(page, base);
    await page.locator('.red-ui-palette-node[data-palette-type="vocal-split"]').waitFor({ state: 'visible', timeout: 30_000 });
    // Old nodes: a key and a folder without their type fields (not deployed; the page is closed after).
    await page.evaluate(() => (globalThis as any).RED.view.importNodes([
      { id: 'old0tab000000001', type: 'tab', label: 'old nodes' },
      { id: 'old0stft00000001', type: 'vocal-split-stft', z: 'old0tab000000001', x: 200, y: 100, mode: 'stream', streamKey: 'player', wires: [[]] },
      { id: 'old0decode000001', type: 'vocal-split-decode', z: 'old0tab000000001', x: 200, y: 200, folder: '/srv/songs', wires: [[]] },
      { id: 'old0mask00000001', type: 'vocal-split-unet-mask', z: 'old0tab000000001', x: 200, y: 300, backend: 'wasm', wires: [[]] },
    ], { generateIds: false, addFlow: false }));
    const dialog = async (id: string, field: string): Promise<{ valid: boolean; type: string; value: string; label: string }> => {
      await page.evaluate((nodeId: string) => { const RED = (globalThis as any).RED; RED.editor.edit(RED.nodes.node(nodeId)); }, id);
      await page.locator(`#node-input-${field}`).waitFor({ state: 'attached', timeout: 10_000 });
      await page.locator('.red-ui-typedInput-container').first().waitFor({ state: 'visible', timeout: 10_000 });
      return page.evaluate(([nodeId, name]: string[]) => {
        const $ = (globalThis as any).$;
        return {
          valid: (globalThis as any).RED.nodes.node(nodeId).valid !== false,
          type: $(`#node-input-${name}`).typedInput('type'),
          value: $(`#node-input-${name}`).typedInput('value'),
          label: $(`label[for=node-input-${name}]`).text().trim(),
        };
      }, [id, field]);
    };
    assert.deepEqual(await dialog('old0stft00000001', 'streamKey'), { valid: true, type: 'msg', value: 'player', label: 'Stream key' });
    saveScreenshot('dialog-stream-key.png', await page.screenshot());
    await page.click('#node-dialog-ok');
    await page.locator('#node-dialog-ok').waitFor({ state: 'detached', timeout: 10_000 });
    assert.deepEqual(await dialog('old0decode000001', 'folder'), { valid: true, type: 'str', value: '/srv/songs', label: 'Folder' });
    await page.click('#node-dialog-ok');
    await page.locator('#node-dialog-ok').waitFor({ state: 'detached', timeout: 10_000 });
    const saved = await page.evaluate(() => {
      const RED = (globalThis as any).RED;
      return [RED.nodes.node('old0stft00000001').streamKeyType, RED.nodes.node('old0decode000001').folderType];
    });
    assert.deepEqual(saved, ['msg', 'str'], 'Done stores the type the dialog showed');
    // The Backend select is filled by the shared editor code: every backend, labelled, the node's selected.
    await page.evaluate(() => { const RED = (globalThis as any).RED; RED.editor.edit(RED.nodes.node('old0mask00000001')); });
    await page.locator('#node-input-backend option').first().waitFor({ state: 'attached', timeout: 10_000 });
    const backend = await page.evaluate(() => {
      const $ = (globalThis as any).$;
      return { value: $('#node-input-backend').val(), options: $('#node-input-backend option').map((_: number, o: any) => $(o).text()).get() };
    });
    assert.equal(backend.value, 'wasm');
    assert.deepEqual(backend.options, ['auto (fastest available)', 'cuda (NVIDIA GPU, onnxruntime-node CUDA)', 'onnx (onnxruntime-node)',
      'tfjs-node (TensorFlow native)', 'wasm (works everywhere)', 'cpu (pure JavaScript, slow)']);
    await page.click('#node-dialog-cancel');
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

describe('in a browser: each example imported into an empty editor deploys without a warning', function () {
  this.timeout(120_000);
  let demo: Demo | undefined;
  let browser: { context: any; close(): Promise<void> } | undefined;
  let context: any;

  before(async function () {
    if (!fs.existsSync(CHROMIUM)) this.skip();
    demo = await startDemo(['is running', 'Started flows'], 'vocal-split-import-', { flows: [] });
    browser = await launchChromium();
    ({ context } = browser);
  });

  after(async function () {
    await browser?.close();
    await demo?.stop();
  });

  it('imports each example (Menu ▸ Import) and deploys it: "Successfully deployed", never "not properly configured"', async function () {
    const page = await context.newPage();
    await openEditor(page, demo?.base ?? '');
    await page.locator('.red-ui-palette-node[data-palette-type="vocal-split"]').waitFor({ state: 'visible', timeout: 30_000 });
    const files = fs.readdirSync(path.join(REPO_ROOT, 'examples')).filter((f) => f.endsWith('.json')).sort();
    for (const file of files) {
      const flow = fs.readFileSync(path.join(REPO_ROOT, 'examples', file), 'utf8');
      // What the Import dialog does with the pasted JSON.
      await page.evaluate((json: string) => (globalThis as any).RED.view.importNodes(JSON.parse(json), { generateIds: false, addFlow: false }), flow);
      await page.waitForTimeout(300);
      const invalid = (await page.evaluate(() => {
        const out: string[] = [];
        (globalThis as any).RED.nodes.eachNode((n: any) => { if (n.valid === false) out.push(`${n.type} ${n.id}: ${(n.validationErrors || []).join(', ')}`); });
        (globalThis as any).RED.nodes.eachConfig((n: any) => { if (n.valid === false) out.push(`${n.type} ${n.id}: ${(n.validationErrors || []).join(', ')}`); });
        return out;
      })) as string[];
      assert.deepEqual(invalid, [], `${file}: invalid nodes after import`);
      await page.click('#red-ui-header-button-deploy');
      const outcome = await page.waitForFunction(() => {
        const text = (globalThis as any).document.body.innerText as string;
        if (/not properly configured/.test(text)) return 'warning';
        if (/Successfully deployed/.test(text)) return 'deployed';
        return false;
      }, undefined, { timeout: 20_000 });
      assert.equal(await outcome.jsonValue(), 'deployed', `${file}: the deploy warned`);
      // Let the notification go before the next deploy.
      await page.evaluate(() => { for (const n of (globalThis as any).document.querySelectorAll('.red-ui-notification')) n.remove(); });
    }
    await page.close();
  });
});
