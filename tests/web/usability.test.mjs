// No dead ends, keyboard and phone use, panels that never cover each other, and an axe-core
// audit: the map page in Debian's chromium against the real server over the test fixtures.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { createRequire } from 'node:module';
import { readFileSync } from 'node:fs';
import { clickMapAt, launchBrowser, mapIdle, mapIncidentIds, openPage, startServer, waitForCount } from './harness.mjs';

const require = createRequire(import.meta.url);
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

/** Only the API's deliberate 400s may show up as console errors. */
const unexpected = (problems) => problems.filter((p) => !/status of 400/.test(p));

/** Boxes of the visible elements matching each selector. */
function boxes(page, selectors) {
  return page.evaluate((list) => list.flatMap((s) => [...document.querySelectorAll(s)]
    .filter((el) => el.offsetParent !== null || getComputedStyle(el).position === 'fixed')
    .map((el) => { const r = el.getBoundingClientRect(); return { s, left: r.left, top: r.top, right: r.right, bottom: r.bottom }; })
    .filter((r) => r.right > r.left && r.bottom > r.top)), selectors);
}

function overlaps(a, b) {
  return a.left < b.right && b.left < a.right && a.top < b.bottom && b.top < a.bottom;
}

describe('no dead ends', () => {
  test('a shared link with an unknown town opens with a clear message, a working map and a suggestion', async () => {
    const { page, context, problems } = await openPage(browser, server.base, '/?town=Hadrud').catch(async (e) => { throw e; });
    await page.waitForSelector('#err-town:not([hidden])');
    assert.equal(await page.evaluate(() => document.body.dataset.status), 'error');
    assert.match(await page.textContent('#err-town'), /No place is known as “Hadrud”/);
    assert.match(await page.textContent('#count'), /No results/);
    // The map works: the line of contact is drawn and the map moves.
    await mapIdle(page);
    assert.ok(await page.evaluate(() => window.strikemap.map.queryRenderedFeatures({ layers: ['loc'] }).length) > 0);
    await page.locator('#err-town .suggestion', { hasText: 'Hadrut' }).click();
    await waitForCount(page, 1);
    assert.match(page.url(), /town=Hadrut/);
    assert.deepEqual(unexpected(problems), []);
    await context.close();
  });

  test('depth minimum above the maximum: said beside the field, and nothing stale shown', async () => {
    const { page, context, problems } = await openPage(browser, server.base);
    await waitForCount(page, 6);
    await page.fill('#f-depth-min', '50');
    await page.fill('#f-depth-max', '5');
    await page.waitForSelector('#err-depth_max:not([hidden])');
    assert.match(await page.textContent('#err-depth_max'), /maximum distance is below the minimum/);
    assert.equal(await page.getAttribute('#f-depth-max', 'aria-invalid'), 'true');
    assert.equal(await page.locator('#list li').count(), 0);
    assert.deepEqual(await mapIncidentIds(page), []);
    assert.deepEqual(unexpected(problems), []);
    await context.close();
  });

  test('a link naming an incident that does not exist says so', async () => {
    const { page, context, problems } = await openPage(browser, server.base, '/?sel=no-such-incident');
    await page.waitForSelector('#details:not([hidden]) .notice');
    assert.match(await page.textContent('#details'), /“no-such-incident”, which is not in this dataset/);
    await waitForCount(page, 6);
    assert.doesNotMatch(page.url(), /sel=/);
    assert.deepEqual(problems.filter((p) => !/status of 404/.test(p)), []);
    await context.close();
  });

  test('filters apply as you type, the map fits the results, and Back undoes a filter', async () => {
    const { page, context, problems } = await openPage(browser, server.base, '/?map=11/39.82/46.75');
    await waitForCount(page, 6);
    await page.locator('#f-town').pressSequentially('Ganja', { delay: 30 });
    await waitForCount(page, 1);
    await mapIdle(page);
    const inView = await page.evaluate(() => window.strikemap.map.getBounds().contains([46.36056, 40.68278]));
    assert.ok(inView, 'the map moved to Ganja');
    await page.selectOption('#f-weapon', 'ballistic_missile');
    await waitForCount(page, 1);
    await page.goBack();
    await page.waitForFunction(() => !/weapon=/.test(location.search));
    await waitForCount(page, 1);
    assert.equal(await page.inputValue('#f-weapon'), '');
    assert.equal(await page.inputValue('#f-town'), 'Ganja');
    await page.goBack();
    await waitForCount(page, 6);
    assert.equal(await page.inputValue('#f-town'), '');
    assert.deepEqual(problems, []);
    await context.close();
  });

  test('an incident filtered out is unselected', async () => {
    const { page, context, problems } = await openPage(browser, server.base, '/?sel=fx-004');
    await page.waitForSelector('#details:not([hidden]) .sources');
    await page.fill('#f-town', 'Hadrut');
    await page.press('#f-town', 'Enter');
    await waitForCount(page, 1);
    await page.waitForFunction(() => document.getElementById('details').hidden);
    assert.doesNotMatch(page.url(), /sel=/);
    assert.deepEqual(problems, []);
    await context.close();
  });

  test('Play steps through the days at the chosen speed and ends with the dates as they were', async () => {
    const { page, context, problems } = await openPage(browser, server.base, '/?type=shelling');
    await waitForCount(page, 2);
    await page.selectOption('#play-speed', '10');
    const started = Date.now();
    await page.click('#play');
    const seen = new Set();
    while (await page.getAttribute('#play', 'aria-pressed') === 'true') {
      const from = await page.evaluate(() => window.strikemap.state.filters.from);
      if (from) seen.add(from);
      await page.waitForTimeout(50);
      assert.ok(Date.now() - started < 30000, 'Play ends');
    }
    assert.ok(seen.size > 20, `stepped through the days (${seen.size} seen)`);
    await waitForCount(page, 2);
    assert.equal(await page.evaluate(() => window.strikemap.state.filters.from), undefined);
    assert.doesNotMatch(page.url(), /from=/);
    assert.match(page.url(), /type=shelling/);
    assert.deepEqual(problems, []);
    await context.close();
  });

  test('clusters take the colour of their commonest class, and the heatmap has a legend', async () => {
    const { page, context, problems } = await openPage(browser, server.base, '/?map=7/39.85/46.75');
    await waitForCount(page, 6);
    await mapIdle(page);
    const clusters = await page.evaluate(() => window.strikemap.map.queryRenderedFeatures({ layers: ['clusters'] }).map((f) => ({ p: f.properties, colour: f.layer.paint['circle-color'] })));
    assert.ok(clusters.length > 0, 'the fixture has a cluster at this zoom');
    const vocab = await page.evaluate(() => import('./js/vocab.js').then((m) => ({ types: m.vocab.type, colours: Object.fromEntries(m.vocab.type.map((v) => [v, m.colour('type', v)])) })));
    for (const { p, colour } of clusters) {
      const counts = vocab.types.map((t) => p[`n_type_${t}`]);
      const top = vocab.types[counts.indexOf(Math.max(...counts))];
      const hex = vocab.colours[top].toLowerCase();
      const rgb = [1, 3, 5].map((i) => parseInt(hex.slice(i, i + 2), 16) / 255);
      assert.ok(rgb.every((c, i) => Math.abs(c - [colour.r, colour.g, colour.b][i]) < 0.01), `${JSON.stringify(colour)} is ${top} (${hex})`);
    }
    await page.check('#heatmap');
    await page.waitForSelector('#legend .heat-ramp');
    assert.match(await page.textContent('#legend'), /more incidents nearby/);
    assert.deepEqual(problems, []);
    await context.close();
  });
});

describe('keyboard and layout', () => {
  test('a skip link leads to the map, and a point is measured with the keyboard alone', async () => {
    const { page, context, problems } = await openPage(browser, server.base, '/?map=9/39.80/46.60');
    await mapIdle(page);
    await page.keyboard.press('Tab');
    assert.equal(await page.evaluate(() => document.activeElement.id), 'skip-map');
    await page.keyboard.press('Enter');
    assert.equal(await page.evaluate(() => document.activeElement.classList.contains('maplibregl-canvas')), true);
    await page.focus('#measure-point');
    await page.keyboard.press('Enter');
    assert.equal(await page.isVisible('#crosshair'), true);
    await page.evaluate(() => window.strikemap.map.getCanvas().focus());
    await page.keyboard.press('Enter');
    await page.waitForSelector('#measure-result .depth');
    assert.match(await page.textContent('#measure-result strong'), /39\.80\d*° N, 46\.60\d*° E/);
    assert.deepEqual(problems, []);
    await context.close();
  });

  test('the timeline chooses dates with the arrow keys', async () => {
    const { page, context, problems } = await openPage(browser, server.base);
    await waitForCount(page, 6);
    await page.focus('#timeline-chart');
    await page.keyboard.press('ArrowRight');
    await page.waitForFunction(() => /from=2020-09-27&to=2020-09-27/.test(location.search));
    await page.keyboard.press('Shift+ArrowRight');
    await page.waitForFunction(() => /from=2020-09-27&to=2020-09-28/.test(location.search));
    await waitForCount(page, 2);
    await page.keyboard.press('Escape');
    await waitForCount(page, 6);
    assert.deepEqual(problems, []);
    await context.close();
  });

  test('choosing from the list moves the focus to the details, and closing gives it back', async () => {
    const { page, context, problems } = await openPage(browser, server.base);
    await waitForCount(page, 6);
    await page.locator('#list button').first().focus();
    await page.keyboard.press('Enter');
    await page.waitForSelector('#details:not([hidden]) .sources');
    assert.equal(await page.evaluate(() => document.activeElement.id), 'details');
    await page.keyboard.press('Escape');
    await page.waitForFunction(() => document.getElementById('details').hidden);
    assert.equal(await page.evaluate(() => Boolean(document.activeElement.closest('#list'))), true);
    assert.deepEqual(problems, []);
    await context.close();
  });

  for (const [name, viewport] of [['a desktop', { width: 1280, height: 860 }], ['a small laptop', { width: 1024, height: 640 }], ['a phone', { width: 390, height: 844 }]]) {
    test(`on ${name} the panels and the map controls never cover each other`, async () => {
      const { page, context, problems } = await openPage(browser, server.base, '/?sel=fx-001', viewport);
      await page.waitForSelector('#details:not([hidden]) .sources');
      await page.evaluate(() => { document.querySelector('.map-options').open = true; });
      await page.click('#measure-point');
      if (viewport.width < 700) {
        // On a phone the options fold away again once a tool is chosen.
        await page.evaluate(() => { document.querySelector('.map-options').open = false; });
      }
      const shown = await boxes(page, ['#details', '.map-left > .panel', '.maplibregl-ctrl-bottom-right > *', '.maplibregl-ctrl-top-right > *']);
      assert.ok(shown.some((b) => b.s === '#details'));
      for (let i = 0; i < shown.length; i += 1) {
        for (let j = i + 1; j < shown.length; j += 1) {
          const [a, b] = [shown[i], shown[j]];
          if (a.s === b.s && a.s === '.map-left > .panel') continue; // stacked in one column
          assert.ok(!overlaps(a, b), `${a.s} ${JSON.stringify(a)} overlaps ${b.s} ${JSON.stringify(b)}`);
        }
      }
      const details = shown.find((b) => b.s === '#details');
      assert.ok(details.top >= 0 && details.bottom <= viewport.height + 1 && details.right <= viewport.width + 1, `details in view: ${JSON.stringify(details)}`);
      assert.deepEqual(problems, []);
      await context.close();
    });
  }

  test('axe finds no serious accessibility violation', async () => {
    const { page, context, problems } = await openPage(browser, server.base, '/?sel=fx-001');
    await page.waitForSelector('#details:not([hidden]) .sources');
    // Evaluated through the DevTools protocol: the page's own CSP (rightly) refuses inline scripts.
    await page.evaluate(readFileSync(require.resolve('axe-core/axe.min.js'), 'utf8'));
    const violations = await page.evaluate(async () => {
      const result = await window.axe.run(document, { resultTypes: ['violations'] });
      return result.violations.filter((v) => ['serious', 'critical'].includes(v.impact)).map((v) => `${v.id}: ${v.nodes.map((n) => n.target.join(' ')).slice(0, 3).join(', ')}`);
    });
    assert.deepEqual(violations, []);
    assert.deepEqual(problems, []);
    await context.close();
  });
});

describe('clicking the map', () => {
  test('a point on the map selects its incident', async () => {
    const { page, context, problems } = await openPage(browser, server.base, '/?map=12/40.68278/46.36056');
    await mapIdle(page);
    await clickMapAt(page, 46.36056, 40.68278);
    await page.waitForSelector('#details:not([hidden]) .sources');
    assert.match(page.url(), /sel=fx-004/);
    assert.deepEqual(problems, []);
    await context.close();
  });
});
