// The map page over 100,000 generated incidents: every match drawn (from the server's vector
// tiles), the true total everywhere, a list that reaches the last incident, a timeline of
// every day, and exports of the whole filtered set.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { launchBrowser, mapIdle, openPage, startServer, strikemapBinary } from './harness.mjs';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const COUNT = 100000;
let server;
let browser;
let dir;

before(async () => {
  dir = mkdtempSync(path.join(tmpdir(), 'strikemap-scale-'));
  execFileSync(strikemapBinary(), ['generate', '--count', String(COUNT), '--source', path.join(root, 'tests/fixtures/data'), '--out', path.join(dir, 'data')], { stdio: 'ignore' });
  server = await startServer(['--no-snapshot'], { data: path.join(dir, 'data') });
  browser = await launchBrowser();
});

after(async () => {
  await browser?.close();
  server?.stop();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

/** Incidents the map draws in view: single points plus the counts of clusters. */
function drawnInView(page) {
  return page.evaluate(() => {
    const map = window.strikemap.map;
    const seen = new Set();
    let total = 0;
    for (const f of map.queryRenderedFeatures({ layers: ['tile-points', 'tile-clusters'] })) {
      // A feature is reported once per tile it is drawn from; each incident is in one tile.
      const key = `${f.layer.id}:${f.tile?.z ?? ''}/${f.tile?.x ?? ''}/${f.tile?.y ?? ''}:${f.id ?? ''}:${f.geometry.coordinates.join(',')}:${f.properties.count}`;
      if (seen.has(key)) continue;
      seen.add(key);
      total += f.properties.count;
    }
    return total;
  });
}

async function ready(page) {
  await page.waitForFunction(() => document.body.dataset.status === 'ready', null, { timeout: 60000 });
  await mapIdle(page);
}

describe(`with ${COUNT.toLocaleString('en-GB')} incidents`, () => {
  test('every match is drawn from tiles, and the count says so', async () => {
    const { page, context, problems } = await openPage(browser, server.base);
    await ready(page);
    assert.equal(await page.evaluate(() => document.body.dataset.mode), 'tiles');
    assert.equal(await page.textContent('#count'), '100,000 incidents match (all drawn; counted in clusters where dense)');
    assert.equal(await drawnInView(page), COUNT, 'the map fitted to the matches draws all of them');
    assert.ok(await page.evaluate(() => window.strikemap.map.queryRenderedFeatures({ layers: ['tile-cluster-counts'] }).length) > 0, 'cluster counts are labels');
    // Each cluster takes the colour of the dominant type the server counted in it.
    const mismatched = await page.evaluate(async () => {
      const { colour } = await import('./js/vocab.js');
      const hex = (c) => `#${[c.r, c.g, c.b].map((v) => Math.round(v * 255).toString(16).padStart(2, '0')).join('')}`;
      return window.strikemap.map.queryRenderedFeatures({ layers: ['tile-clusters'] })
        .filter((f) => hex(f.layer.paint['circle-color']) !== colour('type', f.properties.type).toLowerCase())
        .map((f) => `${f.properties.type}: ${hex(f.layer.paint['circle-color'])}`);
    });
    assert.deepEqual(mismatched, []);
    const days = await page.locator('#timeline-chart rect.bar').count();
    assert.ok(days >= 45, `a bar per day (${days})`);
    assert.ok(await page.locator('#timeline-chart rect.span').count() > 10, 'range-dated incidents are spans');
    assert.deepEqual(problems, []);
    await context.close();
  });

  test('the list holds the true total and reaches the last incident', async () => {
    const { page, context, problems } = await openPage(browser, server.base, '/?sort=-date');
    await ready(page);
    assert.equal(await page.getAttribute('#list li:first-child', 'aria-setsize'), String(COUNT));
    assert.ok(await page.locator('#list li').count() < 60, 'only the rows in view are in the page');
    await page.evaluate(() => { const v = document.getElementById('list-viewport'); v.scrollTop = v.scrollHeight; });
    await page.waitForSelector(`#list li[aria-posinset="${COUNT}"] button`, { timeout: 20000 });
    const last = await page.getAttribute(`#list li[aria-posinset="${COUNT}"] button`, 'data-id');
    // Newest first: the last row is the oldest incident, the first page of the date order.
    const first = await page.evaluate(() => fetch('api/collections/incidents/items?limit=1').then((r) => r.json()));
    assert.equal(last, first.features[0].id);
    assert.deepEqual(problems, []);
    await context.close();
  });

  test('a filter reaches the tiles, the list and the export; a cluster opens on click', async () => {
    const { page, context, problems } = await openPage(browser, server.base, '/?type=drone_strike&verification=weak');
    await ready(page);
    const stats = await page.evaluate(() => fetch('api/stats?type=drone_strike&verification=weak').then((r) => r.json()));
    assert.ok(stats.number_matched > 2000, `${stats.number_matched} matches, enough for tiles`);
    assert.equal(await page.evaluate(() => document.body.dataset.count), String(stats.number_matched));
    const template = await page.evaluate(() => window.strikemap.map.getSource('incident-tiles').tiles[0]);
    assert.match(template, /type=drone_strike&verification=weak/);
    assert.equal(await drawnInView(page), stats.number_matched);
    const [csv] = await Promise.all([page.waitForEvent('download'), page.click('#download-csv')]);
    const lines = readFileSync(await csv.path(), 'utf8').trim().split('\n');
    assert.equal(lines.length, stats.number_matched + 1, 'the export holds every match');
    const zoom = await page.evaluate(() => window.strikemap.map.getZoom());
    const point = await page.evaluate(() => {
      const map = window.strikemap.map;
      const [c] = map.queryRenderedFeatures({ layers: ['tile-clusters'] });
      const p = map.project(c.geometry.coordinates);
      const rect = map.getCanvas().getBoundingClientRect();
      return { x: rect.left + p.x, y: rect.top + p.y };
    });
    await page.mouse.click(point.x, point.y);
    await page.waitForFunction((z) => window.strikemap.map.getZoom() > z + 1, zoom);
    assert.deepEqual(problems, []);
    await context.close();
  });
});
