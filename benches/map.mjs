// Map benchmark: the web map in Debian's chromium (playwright-core) over a generated dataset,
// timing what a reader waits for. Prints one Markdown table.
//
//   cargo build --release && node benches/map.mjs target/bench-data/1000000 [runs]
//
// The data directory is one `strikemap generate` wrote (benches/http.sh keeps one). Times are
// wall-clock on this machine, the browser rendering with SwiftShader (no GPU), so they bound
// from above what a reader with a GPU sees.
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { launchBrowser, startServer } from '../tests/web/harness.mjs';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const [data, runsText = '3'] = process.argv.slice(2);
if (!data) {
  console.error('usage: node benches/map.mjs DATA_DIR [runs]');
  process.exit(2);
}
process.env.STRIKEMAP_BIN ||= path.join(root, 'target/release/strikemap');
const runs = Number(runsText);

const server = await startServer([], { data: path.resolve(data) });
const browser = await launchBrowser();

const idle = (page) => page.evaluate(() => new Promise((resolve) => {
  const map = window.strikemap.map;
  const done = () => (map.loaded() && !map.isMoving() ? resolve() : map.once('idle', () => resolve()));
  requestAnimationFrame(done);
}));
const ready = (page) => page.waitForFunction(() => document.body.dataset.status === 'ready', null, { timeout: 120000 });

const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
const results = {};
const record = (name, ms) => { (results[name] ||= []).push(ms); };

try {
  for (let run = 0; run < runs; run += 1) {
    const context = await browser.newContext({ viewport: { width: 1400, height: 900 } });
    const page = await context.newPage();
    let bytes = 0;
    let requests = 0;
    const count = async (r) => {
      requests += 1;
      bytes += (await r.body().catch(() => Buffer.alloc(0))).length;
    };
    page.on('response', count);
    let t = Date.now();
    await page.goto(`${server.base}/`);
    await ready(page);
    await idle(page);
    record('first load: every match drawn, list and timeline filled', Date.now() - t);
    // Let label fades and late tiles finish before the next step is timed.
    await page.waitForTimeout(1500);
    await idle(page);
    // Reading bodies through the DevTools protocol slows the page: only for the first load.
    page.off('response', count);
    record('first load: bytes received (uncompressed), page and data', bytes);
    record('first load: requests', requests);
    const matched = await page.evaluate(() => document.body.dataset.count);
    results.matched = [Number(matched)];
    for (const [k, dx] of [300, -300, 300, -300].entries()) {
      t = Date.now();
      await page.evaluate((x) => window.strikemap.map.panBy([x, 0], { duration: 0 }), dx);
      await idle(page);
      record(k === 0 ? 'first pan of 300 px, until drawn' : 'later pans of 300 px, until drawn', Date.now() - t);
      await page.waitForTimeout(800);
    }
    t = Date.now();
    await page.evaluate(() => window.strikemap.map.zoomTo(window.strikemap.map.getZoom() + 2, { duration: 0 }));
    await idle(page);
    record('zoom in 2 levels, until drawn', Date.now() - t);
    await page.waitForTimeout(800);
    t = Date.now();
    await page.check('#heatmap');
    await idle(page);
    record('heatmap on, until drawn', Date.now() - t);
    await page.waitForTimeout(800);
    await page.uncheck('#heatmap');
    await idle(page);
    t = Date.now();
    await page.selectOption('#f-type', 'shelling');
    await ready(page);
    await idle(page);
    record('filter type=shelling, until drawn and listed', Date.now() - t);
    t = Date.now();
    await page.evaluate(() => { const v = document.getElementById('list-viewport'); v.scrollTop = v.scrollHeight / 2; });
    await page.waitForFunction(() => document.querySelector('#list li:not(.pending) button') && !document.querySelector('#list li.pending'));
    record('list: jump to the middle, until its rows are in', Date.now() - t);
    results['list rows in the page'] = [await page.locator('#list li').count()];
    await context.close();
  }
} finally {
  await browser.close();
  server.stop();
}

console.log(`map benchmark: ${results.matched[0].toLocaleString('en-GB')} incidents, ${runs} run(s), median of each\n`);
console.log('| what | median | runs |');
console.log('|---|---|---|');
for (const [name, values] of Object.entries(results)) {
  if (name === 'matched') continue;
  const unit = /bytes|rows in|requests/.test(name) ? '' : ' ms';
  console.log(`| ${name} | ${median(values).toLocaleString('en-GB')}${unit} | ${values.join(', ')} |`);
}
