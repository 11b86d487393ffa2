// Builds the offline basemap's water layers, data/basemap/rivers.geojson and lakes.geojson,
// from GSHHG/WDBII (LGPL) through GMT, clipped to the region of data/countries.geojson.
// Land and borders come from data/countries.geojson (Natural Earth); the sea is the map's
// background colour, so the Caspian shows as water without a polygon of its own.
//
// Needs Debian's gmt and gmt-gshhg-high:  apt-get install gmt gmt-gshhg-high
// Run from the repository root:          node data/scripts/build-basemap.mjs
import { execFileSync } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import lineclip from 'lineclip';

const REGION = [43.4, 38.2, 50.6, 42.0];
const R = `-R${REGION[0]}/${REGION[2]}/${REGION[1]}/${REGION[3]}`;

/** Runs `gmt coast` and splits its multi-segment output into coordinate lists. */
function segments(args) {
  const text = execFileSync('gmt', ['coast', R, '-Dh', '-M', ...args], { encoding: 'utf8' });
  const out = [];
  let current = null;
  for (const line of text.split('\n')) {
    if (line.startsWith('>')) {
      current = [];
      out.push(current);
    } else if (line.trim() && current) {
      const [lon, lat] = line.trim().split(/\s+/).map(Number);
      current.push([Math.round(lon * 1e5) / 1e5, Math.round(lat * 1e5) / 1e5]);
    }
  }
  return out.filter((s) => s.length >= 2);
}

const source = 'GSHHG/WDBII 2.3 (high resolution) via GMT 6';
const rivers = [];
// WDBII river classes: 1 double-lined, 2 permanent major, 3 additional major, 4 additional.
for (const level of [1, 2, 3, 4]) {
  for (const segment of segments([`-I${level}`])) {
    for (const part of lineclip.polyline(segment, REGION)) {
      if (part.length >= 2) {
        rivers.push({ type: 'Feature', geometry: { type: 'LineString', coordinates: part }, properties: { level, source } });
      }
    }
  }
}

const lakes = [];
for (const ring of segments(['-W', '-A0/2/2'])) {
  const [first, last] = [ring[0], ring[ring.length - 1]];
  const closed = first[0] === last[0] && first[1] === last[1];
  const inside = ring.every(([x, y]) => x >= REGION[0] && x <= REGION[2] && y >= REGION[1] && y <= REGION[3]);
  if (closed && inside && ring.length >= 4) {
    lakes.push({ type: 'Feature', geometry: { type: 'Polygon', coordinates: [ring] }, properties: { source } });
  }
}

mkdirSync(new URL('../basemap/', import.meta.url), { recursive: true });
writeFileSync(new URL('../basemap/rivers.geojson', import.meta.url), JSON.stringify({ type: 'FeatureCollection', features: rivers }) + '\n');
writeFileSync(new URL('../basemap/lakes.geojson', import.meta.url), JSON.stringify({ type: 'FeatureCollection', features: lakes }) + '\n');
console.log(`wrote ${rivers.length} river lines and ${lakes.length} lakes`);
