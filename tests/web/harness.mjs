// Browser-test harness: the real strikemap server (the binary cargo built) on an ephemeral
// loopback port over the test fixtures, and Debian's chromium driven by playwright-core.
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import path from 'node:path';
import { chromium } from 'playwright-core';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');

/** The strikemap binary cargo built: `STRIKEMAP_BIN`, or `debug/strikemap` in cargo's target directory. */
export function strikemapBinary() {
  const target = process.env.CARGO_TARGET_DIR ? path.resolve(root, process.env.CARGO_TARGET_DIR) : path.join(root, 'target');
  return process.env.STRIKEMAP_BIN || path.join(target, 'debug/strikemap');
}

/**
 * Starts `strikemap serve` on 127.0.0.1:0 (with `extra` flags) over the fixtures or `data`,
 * and resolves with its base URL. The files are served read-only (`--no-db`) unless `extra`
 * names a store, so that no test leaves a database in the fixtures.
 */
export async function startServer(extra = [], { data = path.join(root, 'tests/fixtures/data') } = {}) {
  const binary = strikemapBinary();
  if (!existsSync(binary)) throw new Error(`${binary} is missing: run cargo build first`);
  const store = extra.includes('--db') ? [] : ['--no-db'];
  const child = spawn(binary, ['serve', '--addr', '127.0.0.1:0', '--data', data, '--web', path.join(root, 'web'), ...store, ...extra], {
    env: { ...process.env, RUST_LOG: 'strikemap=info', NO_COLOR: '1' },
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  const base = await new Promise((resolve, reject) => {
    let text = '';
    const timer = setTimeout(() => reject(new Error(`server did not start: ${text}`)), 120000);
    child.stderr.on('data', (chunk) => {
      text += chunk;
      const match = text.match(/http:\/\/(127\.0\.0\.1:\d+)\//);
      if (match) {
        clearTimeout(timer);
        resolve(`http://${match[1]}`);
      }
    });
    child.on('exit', (code) => reject(new Error(`server exited with ${code}: ${text}`)));
  });
  return { base, stop: () => child.kill() };
}

export function launchBrowser() {
  return chromium.launch({
    executablePath: process.env.CHROMIUM || '/usr/bin/chromium',
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--use-gl=swiftshader', '--enable-unsafe-swiftshader',
      '--disable-background-networking', '--disable-component-update', '--disable-sync', '--no-first-run', '--disable-quic'],
  });
}

/**
 * Opens the page at `base + path` and waits until it has loaded its data. `problems` collects
 * console errors, uncaught exceptions, failed requests and any request leaving the server:
 * the page must work offline.
 */
export async function openPage(browser, base, path = '/', viewport = { width: 1280, height: 860 }) {
  const context = await browser.newContext({ viewport, acceptDownloads: true });
  const page = await context.newPage();
  const problems = [];
  // Errors, and MapLibre's warning that it could not use a bundled glyph range.
  page.on('console', (m) => { if (m.type() === 'error' || (m.type() === 'warning' && /glyph/i.test(m.text()))) problems.push(`console: ${m.text()}`); });
  page.on('pageerror', (e) => problems.push(`exception: ${e.message}`));
  // A request the page itself cancelled (its answer superseded by a newer one) is no failure.
  page.on('requestfailed', (r) => { if (r.failure()?.errorText !== 'net::ERR_ABORTED') problems.push(`request failed: ${r.url()}`); });
  page.on('request', (r) => {
    const url = r.url();
    if (!url.startsWith(base) && !url.startsWith('blob:') && !url.startsWith('data:')) problems.push(`external request: ${url}`);
  });
  await page.goto(base + path);
  await page.waitForSelector('body:is([data-status="ready"], [data-status="error"])', { timeout: 60000 });
  return { page, context, problems };
}

/** Waits until the page has shown `count` incidents after a change (the list draws the first dozen). */
export async function waitForCount(page, count) {
  await page.waitForFunction(
    (n) => document.body.dataset.status === 'ready' && document.body.dataset.count === String(n) && document.querySelectorAll('#list li:not(.pending)').length === Math.min(n, 12),
    count,
    { timeout: 15000 },
  );
}

/** The ids of the incidents the map's own (clustered) data source holds. */
export function mapIncidentIds(page) {
  return page.evaluate(async () => {
    const data = await window.strikemap.map.getSource('incidents').getData();
    return data.features.map((f) => f.properties.id).sort();
  });
}

/** Clicks the map at a longitude/latitude. */
export async function clickMapAt(page, lon, lat) {
  const point = await page.evaluate(([x, y]) => {
    const p = window.strikemap.map.project([x, y]);
    const rect = window.strikemap.map.getCanvas().getBoundingClientRect();
    return { x: rect.left + p.x, y: rect.top + p.y };
  }, [lon, lat]);
  await page.mouse.click(point.x, point.y);
}

/** Waits until the map has finished moving and rendering. */
export function mapIdle(page) {
  return page.evaluate(() => new Promise((resolve) => {
    const map = window.strikemap.map;
    if (map.loaded() && !map.isMoving()) resolve();
    else map.once('idle', () => resolve());
  }));
}
