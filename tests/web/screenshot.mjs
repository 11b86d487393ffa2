// Takes a screenshot of the map page: node tests/web/screenshot.mjs URL OUT.png [width height]
// Uses Debian's chromium through playwright-core (no downloaded browser).
import { chromium } from 'playwright-core';

const [url, out, width = '1400', height = '900'] = process.argv.slice(2);
const browser = await chromium.launch({
  executablePath: process.env.CHROMIUM || '/usr/bin/chromium',
  args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--no-first-run', '--use-gl=swiftshader', '--enable-unsafe-swiftshader'],
});
const page = await browser.newPage({ viewport: { width: Number(width), height: Number(height) } });
const problems = [];
page.on('console', (m) => { if (m.type() === 'error' || m.type() === 'warning') problems.push(`${m.type()}: ${m.text()}`); });
page.on('pageerror', (e) => problems.push(`pageerror: ${e.message}`));
await page.goto(url);
await page.waitForSelector('body[data-status="ready"]', { timeout: 30000 });
await page.waitForTimeout(1500);
await page.screenshot({ path: out });
console.log(problems.join('\n') || 'no console errors or warnings');
await browser.close();
