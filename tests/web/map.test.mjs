// The map page in a real browser (Debian's chromium via playwright-core) against the real
// server over the test fixtures (six incidents; see tests/fixtures/data).
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import { clickMapAt, launchBrowser, mapIdle, mapIncidentIds, openPage, startServer, waitForCount } from './harness.mjs';

let server;
let browser;

before(async () => {
  server = await startServer();
  browser = await launchBrowser();
});

after(async () => {
  await browser?.close();
  server?.stop();
});

describe('the map page', () => {
  test('renders the map with the incidents, the list, the counts and the timeline', async () => {
    const { page, context, problems } = await openPage(browser, server.base);
    await waitForCount(page, 6);
    assert.equal(await page.textContent('#count'), '6 incidents match');
    assert.equal(await page.evaluate(() => document.body.dataset.mode), 'geo', 'a small set is drawn from GeoJSON');
    await mapIdle(page);
    assert.deepEqual(await mapIncidentIds(page), ['fx-001', 'fx-002', 'fx-003', 'fx-004', 'fx-005', 'fx-006']);
    const drawn = await page.evaluate(() => window.strikemap.map.queryRenderedFeatures({ layers: ['incident-points', 'clusters'] }).length);
    assert.ok(drawn > 0, 'incidents are drawn on the map');
    const lineDrawn = await page.evaluate(() => window.strikemap.map.queryRenderedFeatures({ layers: ['loc'] }).length);
    assert.ok(lineDrawn > 0, 'the line of contact is drawn');
    assert.ok((await page.locator('#timeline-chart rect.bar').count()) > 30, 'the timeline has a bar per day');
    assert.ok((await page.locator('#legend li').count()) >= 5, 'the legend lists the colours');
    const labels = await page.evaluate(() => window.strikemap.map.queryRenderedFeatures({ layers: ['labels-city', 'labels-town'] }).map((f) => f.properties.label));
    assert.ok(labels.length >= 3, `towns are labelled by MapLibre: ${labels}`);
    assert.ok((await page.locator('#timeline-chart rect.span').count()) >= 1, 'an incident known only to a range of days is a span');
    assert.match(await page.textContent('#summaries'), /Fixture summary.*killed: at least 5/s);
    assert.deepEqual(problems, []);
    await context.close();
  });

  test('a town typed in its Azerbaijani spelling filters to that town', async () => {
    const { page, context, problems } = await openPage(browser, server.base);
    await page.fill('#f-town', 'Xankəndi');
    await page.press('#f-town', 'Enter');
    await waitForCount(page, 2);
    const titles = await page.locator('#list .title').allTextContents();
    assert.deepEqual(titles.sort(), ['Fixture cluster attack on Stepanakert', 'Fixture hospital attack over a range of days']);
    for (const meta of await page.locator('#list .meta').allTextContents()) assert.match(meta, /Stepanakert \/ Khankendi/);
    assert.match(page.url(), /town=X/);
    await mapIdle(page);
    assert.deepEqual(await mapIncidentIds(page), ['fx-001', 'fx-002']);
    assert.deepEqual(problems, []);
    await context.close();
  });

  test('an unknown town is explained beside the field, the stale results cleared, and a suggestion applies with a click', async () => {
    const { page, context, problems } = await openPage(browser, server.base);
    await waitForCount(page, 6);
    await page.fill('#f-town', 'Stepanakrt');
    await page.press('#f-town', 'Enter');
    await page.waitForSelector('#err-town:not([hidden]) .suggestion');
    assert.match(await page.textContent('#err-town'), /No place is known as “Stepanakrt”\. Did you mean:/);
    assert.equal(await page.getAttribute('#f-town', 'aria-invalid'), 'true');
    assert.equal(await page.locator('#list li').count(), 0, 'no stale list');
    assert.match(await page.textContent('#count'), /No results/);
    assert.deepEqual(await mapIncidentIds(page), [], 'no stale points');
    await page.locator('#err-town .suggestion', { hasText: 'Stepanakert' }).click();
    await waitForCount(page, 2);
    assert.equal(await page.locator('#err-town').isHidden(), true);
    // The API answered 400 on purpose; only that response may show up as a console error.
    assert.deepEqual(problems.filter((p) => !p.includes('400')), []);
    await context.close();
  });

  test('a date range filters the list and the map', async () => {
    const { page, context, problems } = await openPage(browser, server.base);
    await page.fill('#f-from', '2020-10-01');
    await page.dispatchEvent('#f-from', 'change');
    await page.fill('#f-to', '2020-10-05');
    await page.dispatchEvent('#f-to', 'change');
    await waitForCount(page, 3);
    await mapIdle(page);
    assert.deepEqual(await mapIncidentIds(page), ['fx-001', 'fx-002', 'fx-006']);
    assert.match(page.url(), /from=2020-10-01/);
    assert.ok((await page.locator('#timeline-chart rect.bar.in').count()) === 5, 'the timeline highlights the chosen days');
    assert.deepEqual(problems, []);
    await context.close();
  });

  test('dragging on the timeline chooses a date range', async () => {
    const { page, context, problems } = await openPage(browser, server.base);
    const box = await page.locator('#timeline-chart').boundingBox();
    // The axis runs from 27 September to 10 November 2020: 45 days.
    const x = (day) => box.x + ((day + 0.5) / 45) * box.width;
    await page.mouse.move(x(0), box.y + box.height / 2);
    await page.mouse.down();
    await page.mouse.move(x(1), box.y + box.height / 2, { steps: 3 });
    await page.mouse.up();
    await waitForCount(page, 2);
    assert.match(page.url(), /from=2020-09-27&to=2020-09-28|to=2020-09-28.*from=2020-09-27/);
    assert.deepEqual(problems, []);
    await context.close();
  });

  test('clicking an incident shows everything about it, sources included', async () => {
    const { page, context, problems } = await openPage(browser, server.base, '/?map=12/40.68278/46.36056');
    await mapIdle(page);
    await clickMapAt(page, 46.36056, 40.68278);
    await page.waitForSelector('#details:not([hidden]) .sources');
    const details = await page.textContent('#details');
    assert.match(details, /Fixture missile strike on Ganja/);
    assert.match(details, /Reported by Fixture Publisher/);
    assert.match(details, /Fixture report \(test data, not a real event\)/);
    assert.match(details, /from the line/i);
    assert.match(details, /Ganja \/ Gandzak/);
    assert.equal(await page.getAttribute('#details .sources a', 'href'), 'https://example.org/fixture');
    assert.match(page.url(), /sel=fx-004/);
    assert.deepEqual(problems, []);
    await context.close();
  });

  test('incidents at the very same point stay individually selectable', async () => {
    const { page, context, problems } = await openPage(browser, server.base, '/?map=13/39.8177/46.7528');
    await mapIdle(page);
    await clickMapAt(page, 46.7528, 39.8177);
    await page.waitForSelector('#details:not([hidden]) .choices');
    assert.equal(await page.locator('#details .choices button').count(), 2);
    await page.locator('#details .choices button', { hasText: 'hospital' }).click();
    await page.waitForSelector('#details:not([hidden]) .sources');
    assert.match(await page.textContent('#details h2'), /Fixture hospital attack/);
    assert.deepEqual(problems, []);
    await context.close();
  });

  test('a shared URL restores the same filters, selection and view', async () => {
    const first = await openPage(browser, server.base);
    await first.page.selectOption('#f-weapon', 'cluster_munition');
    await waitForCount(first.page, 2);
    await first.page.selectOption('#color-by', 'weapon');
    await first.page.locator('#list button', { hasText: 'Hadrut' }).click();
    await first.page.waitForSelector('#details:not([hidden]) .sources');
    await mapIdle(first.page);
    await first.page.waitForFunction(() => /map=/.test(location.search) && /sel=/.test(location.search));
    const shared = first.page.url();
    const view = await first.page.evaluate(() => ({ zoom: window.strikemap.map.getZoom(), center: window.strikemap.map.getCenter() }));

    const second = await openPage(browser, server.base, shared.slice(server.base.length));
    await waitForCount(second.page, 2);
    await second.page.waitForSelector('#details:not([hidden]) .sources');
    assert.equal(await second.page.inputValue('#f-weapon'), 'cluster_munition');
    assert.equal(await second.page.inputValue('#color-by'), 'weapon');
    assert.match(await second.page.textContent('#details h2'), /Fixture cluster attack on Hadrut/);
    const restored = await second.page.evaluate(() => ({ zoom: window.strikemap.map.getZoom(), center: window.strikemap.map.getCenter() }));
    assert.ok(Math.abs(restored.zoom - view.zoom) < 0.01, `zoom ${restored.zoom} vs ${view.zoom}`);
    assert.ok(Math.abs(restored.center.lng - view.center.lng) < 1e-4 && Math.abs(restored.center.lat - view.center.lat) < 1e-4);
    assert.deepEqual([...first.problems, ...second.problems], []);
    await first.context.close();
    await second.context.close();
  });

  test('the measure tool reports the depth of a clicked point, and a geodesic distance', async () => {
    const { page, context, problems } = await openPage(browser, server.base, '/?map=8/39.80/46.60');
    await mapIdle(page);
    await page.click('#measure-point');
    await clickMapAt(page, 46.60, 39.80);
    await page.waitForSelector('#measure-result .depth');
    assert.match(await page.textContent('#measure-result .depth'), /\d+\.\d km from the line of contact .*Armenian side/);
    await page.click('#measure-line');
    await clickMapAt(page, 46.5, 39.7);
    await clickMapAt(page, 46.9, 39.7);
    await page.waitForSelector('#measure-result .distance');
    const text = await page.textContent('#measure-result .distance');
    const km = Number(text.match(/([\d.]+) km/)[1]);
    // 0.4 degrees of longitude at 39.7 N: about 34.3 km.
    assert.ok(km > 34 && km < 34.6, text);
    assert.deepEqual(problems, []);
    await context.close();
  });

  test('export downloads every filtered match from the server as GeoJSON and CSV', async () => {
    const { page, context, problems } = await openPage(browser, server.base, '/?verification=confirmed&names=az-hy');
    await waitForCount(page, 2);
    const [geojson] = await Promise.all([page.waitForEvent('download'), page.click('#download-geojson')]);
    const collection = JSON.parse(await readFile(await geojson.path(), 'utf8'));
    assert.equal(collection.type, 'FeatureCollection');
    assert.deepEqual(collection.features.map((f) => f.id).sort(), ['fx-001', 'fx-006']);
    for (const f of collection.features) {
      assert.equal(f.geometry.type, 'Point');
      assert.ok(f.properties.sources.length > 0);
    }
    assert.equal(collection.numberMatched, 2);
    assert.match(geojson.suggestedFilename(), /^strikemap-incidents-\d{4}-\d{2}-\d{2}\.geojson$/);
    const [csv] = await Promise.all([page.waitForEvent('download'), page.click('#download-csv')]);
    const text = await readFile(await csv.path(), 'utf8');
    assert.ok(text.startsWith('\uFEFF'), 'a byte-order mark for spreadsheets');
    const lines = text.trim().split('\n');
    assert.equal(lines.length, 3);
    assert.match(lines[0], /^id,date,date_end,/); // (trim drops the byte-order mark)
    assert.match(text, /Khankendi \/ Stepanakert/, 'the export names places as the reader chose');
    assert.ok(collection.features.some((f) => f.properties.place === 'Khankendi / Stepanakert'));
    assert.deepEqual(problems, []);
    await context.close();
  });

  test('prints the map first, then the selected incident and the list, without the controls', async () => {
    const { page, context, problems } = await openPage(browser, server.base, '/?sel=fx-004');
    await page.waitForSelector('#details:not([hidden]) .sources');
    await page.emulateMedia({ media: 'print' });
    const layout = await page.evaluate(() => {
      const box = (s) => document.querySelector(s).getBoundingClientRect();
      const shown = (s) => getComputedStyle(document.querySelector(s)).display !== 'none';
      return {
        mapHeight: box('#map').height, mapTop: box('#map').top, detailsTop: box('#details').top, listTop: box('#list').top,
        filters: shown('#filters'), options: shown('.map-options'), timeline: shown('.timeline'),
      };
    });
    assert.ok(layout.mapHeight > 300, JSON.stringify(layout));
    assert.ok(layout.mapTop < layout.detailsTop && layout.detailsTop < layout.listTop, JSON.stringify(layout));
    assert.deepEqual([layout.filters, layout.options, layout.timeline], [false, false, false]);
    const pdf = await page.pdf({ format: 'A4' });
    assert.ok(pdf.length > 10000, 'a PDF comes out');
    assert.deepEqual(problems, []);
    await context.close();
  });

  test('the naming choice reaches the labels, the list and the details; towns outside the disputed area keep their local name first', async () => {
    const { page, context, problems } = await openPage(browser, server.base, '/?sel=fx-001');
    await waitForCount(page, 6);
    await page.waitForSelector('#details:not([hidden])');
    assert.match(await page.textContent('#details'), /Stepanakert \/ Khankendi/);
    await page.selectOption('#naming', 'az-hy');
    await page.waitForFunction(() => document.querySelector('#details').textContent.includes('Khankendi / Stepanakert'));
    await page.waitForFunction(() => document.querySelector('#list').textContent.includes('Khankendi / Stepanakert'));
    const list = await page.textContent('#list');
    assert.match(list, /Khankendi \/ Stepanakert/);
    assert.match(list, /Ganja \/ Gandzak/, 'a town in Azerbaijan proper keeps its local name first');
    await page.waitForFunction(() => window.strikemap.map.querySourceFeatures('places').some((f) => f.properties.label === 'Khankendi / Stepanakert'));
    assert.match(page.url(), /names=az-hy/);
    await page.selectOption('#naming', 'hy');
    await page.waitForFunction(() => /· Stepanakert ·/.test(document.querySelector('#list').textContent));
    assert.doesNotMatch(await page.textContent('#list'), /Khankendi/);
    assert.match(await page.textContent('#list'), /· Stepanakert ·/);
    assert.match(await page.textContent('#list'), /· Ganja ·/);
    assert.deepEqual(problems, []);
    await context.close();
  });

  test('works at phone width', async () => {
    const { page, context, problems } = await openPage(browser, server.base, '/', { width: 390, height: 844 });
    await waitForCount(page, 6);
    const map = await page.locator('#map').boundingBox();
    assert.ok(map.width >= 380 && map.height >= 300, JSON.stringify(map));
    assert.equal(await page.locator('.map-options').getAttribute('open'), null);
    assert.deepEqual(problems, []);
    await context.close();
  });
});

describe('with an online basemap configured', () => {
  let online;
  before(async () => {
    // A style served by strikemap itself stands in for an online style URL.
    online = await startServer(['--basemap-style', '/data/basemap/online-style.json']);
  });
  after(() => online?.stop());

  test('uses that style and draws strikemap\'s layers over it', async () => {
    const { page, context, problems } = await openPage(browser, online.base);
    await waitForCount(page, 6);
    const layers = await page.evaluate(() => window.strikemap.map.getStyle().layers.map((l) => l.id));
    assert.equal(layers[0], 'online-background');
    assert.ok(layers.includes('incident-points') && layers.includes('loc'), layers.join(','));
    assert.ok(!layers.includes('land'), 'the offline basemap is not loaded');
    assert.deepEqual(problems, []);
    await context.close();
  });
});
