// Builds data/countries.geojson: Natural Earth 1:10m country polygons (public domain, via the
// npm package world-atlas 2.0.2) clipped to the South Caucasus. strikemap uses Armenia and
// Azerbaijan to tell which side of the line of contact a point lies on outside Nagorno-Karabakh,
// and the web map draws all of them as its offline basemap.
//
// Natural Earth draws de jure borders: Nagorno-Karabakh is inside Azerbaijan's polygon. The
// area held by Armenian forces until 2020 is a separate polygon in line_of_contact.geojson.
//
// Run from the repository root:  npm install && node data/scripts/build-countries.mjs
import { createRequire } from 'node:module';
import { writeFileSync } from 'node:fs';
import { feature } from 'topojson-client';
import lineclip from 'lineclip';

const require = createRequire(import.meta.url);
const topo = require('world-atlas/countries-10m.json');

export const REGION = [43.4, 38.2, 50.6, 42.0]; // west, south, east, north (degrees)
const KEEP = { Armenia: 'AM', Azerbaijan: 'AZ', Georgia: 'GE', Iran: 'IR', Turkey: 'TR', Russia: 'RU' };
// Which side of the line of contact a country's territory counts as, after the held area in
// line_of_contact.geojson has been checked (that area takes precedence).
const SIDE = { AM: 'armenian_side', AZ: 'azerbaijani_side' };

const round = (ring) => ring.map(([x, y]) => [Math.round(x * 1e5) / 1e5, Math.round(y * 1e5) / 1e5]);
const closed = (ring) => {
  if (ring.length === 0) return ring;
  const [a, b] = [ring[0], ring[ring.length - 1]];
  return a[0] === b[0] && a[1] === b[1] ? ring : [...ring, a];
};

const all = feature(topo, topo.objects.countries).features;
const features = [];
for (const f of all) {
  const iso = KEEP[f.properties.name];
  if (!iso) continue;
  const polys = f.geometry.type === 'Polygon' ? [f.geometry.coordinates] : f.geometry.coordinates;
  const clipped = [];
  for (const poly of polys) {
    const outer = lineclip.polygon(poly[0], REGION);
    if (outer.length < 3) continue;
    const holes = poly.slice(1).map((h) => lineclip.polygon(h, REGION)).filter((h) => h.length >= 3);
    clipped.push([outer, ...holes].map((r) => closed(round(r))));
  }
  if (clipped.length === 0) continue;
  features.push({
    type: 'Feature', id: iso,
    geometry: { type: 'MultiPolygon', coordinates: clipped },
    properties: { id: iso, name: f.properties.name, side: SIDE[iso] ?? null, source: 'Natural Earth 1:10m admin-0 countries via world-atlas 2.0.2', clipped_to: REGION },
  });
}
writeFileSync(new URL('../countries.geojson', import.meta.url), JSON.stringify({ type: 'FeatureCollection', name: 'countries', features }) + '\n');
console.log(`wrote ${features.length} countries`);
