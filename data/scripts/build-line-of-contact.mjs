// Builds data/line_of_contact.geojson from the raw, cited extracts in data/raw/line-of-contact/
// (provenance in that folder's README.md):
//
//  - the 1994 – 26 September 2020 line from OpenStreetMap-derived data (Organic Maps' region
//    border, ODbL) as the measured line, cut into stretches of about STRETCH_KM;
//  - Natural Earth's "Ceasefire Line 1994" (public domain) as an independent second
//    digitisation, kept as a `witness` feature that is drawn but never measured from;
//  - each stretch's `uncertainty_km`: at least the largest distance between the two
//    digitisations along it (both directions), never less than FLOOR_KM, rounded up to 0.5 km;
//  - the area held by Armenian and Nagorno-Karabakh forces before the war: the OSM ring closed
//    through Armenia and Iran, intersected with Natural Earth's Azerbaijan (so no point in Iran
//    or Armenia is counted in it);
//  - the 10 November 2020 line from Natural Earth v5 as a later, coarse version whose stated
//    uncertainty is at least the distance to every reference place it is known to put on the
//    wrong side.
//
// Run from the repository root:  npm install && node data/scripts/build-line-of-contact.mjs
import { readFileSync, writeFileSync } from 'node:fs';
import polygonClipping from 'polygon-clipping';

const RAW = 'data/raw/line-of-contact';
const OUT = 'data/line_of_contact.geojson';
const STRETCH_KM = 20;
const FLOOR_KM = 1;
const SAMPLE_KM = 0.25;

// --- geometry helpers (spherical; the uncertainty is rounded up to 0.5 km, far coarser than
// the sphere's 0.5 % error) ---
const R = 6371.0088;
const rad = (d) => (d * Math.PI) / 180;
function haversineKm([lon1, lat1], [lon2, lat2]) {
  const dphi = rad(lat2 - lat1);
  const dl = rad(lon2 - lon1);
  const a = Math.sin(dphi / 2) ** 2 + Math.cos(rad(lat1)) * Math.cos(rad(lat2)) * Math.sin(dl / 2) ** 2;
  return 2 * R * Math.asin(Math.min(1, Math.sqrt(a)));
}
/** Points every SAMPLE_KM along a polyline, vertices included. */
function densify(line) {
  const out = [line[0]];
  for (let i = 1; i < line.length; i++) {
    const [a, b] = [line[i - 1], line[i]];
    const n = Math.max(1, Math.ceil(haversineKm(a, b) / SAMPLE_KM));
    for (let k = 1; k <= n; k++) out.push([a[0] + ((b[0] - a[0]) * k) / n, a[1] + ((b[1] - a[1]) * k) / n]);
  }
  return out;
}
/** Distance from p to a densified polyline, km (the sampling step bounds the error). */
function distanceToSamples(p, samples) {
  let best = Infinity;
  for (const q of samples) best = Math.min(best, haversineKm(p, q));
  return best;
}
const lengthKm = (line) => line.slice(1).reduce((sum, p, i) => sum + haversineKm(line[i], p), 0);
const roundUpHalf = (km) => Math.ceil(km * 2) / 2;
const round5 = ([x, y]) => [Math.round(x * 1e5) / 1e5, Math.round(y * 1e5) / 1e5];
function contains(ring, [x, y]) {
  let inside = false;
  for (let i = 0, j = ring.length - 1; i < ring.length; j = i++) {
    const [xi, yi] = ring[i];
    const [xj, yj] = ring[j];
    if (yi > y !== yj > y && x < ((xj - xi) * (y - yi)) / (yj - yi) + xi) inside = !inside;
  }
  return inside;
}
const inPolygon = (polygon, p) => contains(polygon[0], p) && !polygon.slice(1).some((hole) => contains(hole, p));

// --- inputs ---
const osmAll = readFileSync(`${RAW}/osm-organicmaps-nagorno-karabakh-line.txt`, 'utf8')
  .trim()
  .split('\n')
  .map((line) => line.trim().split(/\s+/).map(Number));
if (osmAll.length !== 113 || osmAll.some((p) => p.length !== 2 || p.some(Number.isNaN))) {
  throw new Error('expected 113 "lon lat" vertices in the OSM extract');
}
// Vertices 1–103 are the line of contact; 104–113 follow the Araks (border, not front).
const osmLine = osmAll.slice(0, 103);
const araks = osmAll.slice(103);
const ne1994 = JSON.parse(readFileSync(`${RAW}/natural-earth-v4-ceasefire-line-1994.geojson`, 'utf8'));
const neLine = ne1994.features.find((f) => f.geometry.type === 'LineString').geometry.coordinates;
const ne2020 = JSON.parse(readFileSync(`${RAW}/natural-earth-v5-ceasefire-line-2020.geojson`, 'utf8'));
const ne2020Line = ne2020.features.find((f) => f.geometry.type === 'LineString').geometry.coordinates;
const ne2020Area = ne2020.features.find((f) => f.geometry.type === 'Polygon').geometry.coordinates;
const countries = JSON.parse(readFileSync('data/countries.geojson', 'utf8'));
const azerbaijan = countries.features.find((f) => f.properties.iso === 'AZ' || f.properties.name === 'Azerbaijan');
if (!azerbaijan) throw new Error('data/countries.geojson has no Azerbaijan');
const places = JSON.parse(readFileSync('data/places.geojson', 'utf8')).features;
const placePoint = (id) => {
  const f = places.find((p) => p.properties.id === id || p.id === id);
  if (!f) throw new Error(`no place '${id}' in data/places.geojson`);
  return f.geometry.coordinates;
};

// --- stretches of the OSM line and their uncertainty from the Natural Earth witness ---
const neSamples = densify(neLine);
const stretches = [];
{
  let start = 0;
  let run = 0;
  for (let i = 1; i < osmLine.length; i++) {
    run += haversineKm(osmLine[i - 1], osmLine[i]);
    if (run >= STRETCH_KM || i === osmLine.length - 1) {
      stretches.push(osmLine.slice(start, i + 1));
      start = i;
      run = 0;
    }
  }
}
const stretchSamples = stretches.map(densify);
const gap = stretches.map((_, s) => Math.max(...stretchSamples[s].map((p) => distanceToSamples(p, neSamples))));
// The other direction: each Natural Earth point counts against the stretch nearest to it.
for (const p of neSamples) {
  let bestS = 0;
  let best = Infinity;
  stretchSamples.forEach((samples, s) => {
    const d = distanceToSamples(p, samples);
    if (d < best) [best, bestS] = [d, s];
  });
  gap[bestS] = Math.max(gap[bestS], best);
}

const PROVENANCE_OSM =
  'OpenStreetMap-derived: the "Nagorno-Karabakh" region border of Organic Maps (data/borders/Nagorno-Karabakh.poly, ' +
  'commit 6f8fb0894fa05570703df97bd7da884c103acd5b), vertices 1-103. © OpenStreetMap contributors, ODbL 1.0. ' +
  'The date of the underlying OpenStreetMap snapshot is not recorded by the source.';
const features = [];
stretches.forEach((line, s) => {
  features.push({
    type: 'Feature',
    id: `loc-1994-2020-${String(s + 1).padStart(2, '0')}`,
    properties: {
      id: `loc-1994-2020-${String(s + 1).padStart(2, '0')}`,
      kind: 'line',
      name: `Line of contact before the 2020 war, stretch ${s + 1} of ${stretches.length}`,
      valid_from: '1994-05-12',
      valid_to: '2020-09-26',
      uncertainty_km: roundUpHalf(Math.max(FLOOR_KM, gap[s])),
      witness_gap_km: Math.round(gap[s] * 10) / 10,
      length_km: Math.round(lengthKm(line) * 10) / 10,
      provenance: PROVENANCE_OSM,
      uncertainty_method: `At least the largest distance between this stretch and Natural Earth's independent digitisation of the 1994 line (measured both ways), and never less than ${FLOOR_KM} km.`,
      licence: 'ODbL-1.0',
      attribution: '© OpenStreetMap contributors (ODbL), via Organic Maps',
    },
    geometry: { type: 'LineString', coordinates: line.map(round5) },
  });
});
features.push({
  type: 'Feature',
  id: 'loc-1994-2020-natural-earth',
  properties: {
    id: 'loc-1994-2020-natural-earth',
    kind: 'witness',
    name: 'Line of contact before the 2020 war, second digitisation (Natural Earth)',
    valid_from: '1994-05-12',
    valid_to: '2020-09-26',
    provenance:
      'Natural Earth 1:10m ne_10m_admin_0_boundary_lines_disputed_areas, the five parts named "Ceasefire Line 1994" merged (v4.0.0, identical in v2.0.0). ' +
      'Shown as an independent witness of where the line ran; depths are measured from the OpenStreetMap-derived line.',
    licence: 'public domain',
    attribution: 'Natural Earth',
  },
  geometry: { type: 'LineString', coordinates: neLine.map(round5) },
});

// --- the held area before the war: OSM ring closed well inside Armenia and Iran, then cut to
// Azerbaijan's territory. The closure must stay east of Nakhchivan (checked below). ---
const closure = [
  [47.279, 38.75],
  [46.25, 38.75],
  [46.25, 39.3],
  [45.95, 39.75],
  [45.6, 40.0],
  [45.6, 40.3],
];
const ring = [...osmAll, ...closure, osmAll[0]];
const azPolys = azerbaijan.geometry.type === 'Polygon' ? [azerbaijan.geometry.coordinates] : azerbaijan.geometry.coordinates;
const held = polygonClipping.intersection([ring], azPolys);
const stepanakert = placePoint('stepanakert');
const pieces = held.filter((poly) => inPolygon(poly, stepanakert));
if (pieces.length !== 1) throw new Error(`expected one held-area piece containing Stepanakert, found ${pieces.length}`);
const strays = held.filter((poly) => poly !== pieces[0]);
for (const stray of strays) {
  // Slivers along the shared border are harmless; anything larger means the closure cut into
  // Azerbaijan elsewhere (e.g. Nakhchivan) and must be fixed.
  const xs = stray[0].map((p) => p[0]);
  const ys = stray[0].map((p) => p[1]);
  const extentKm = haversineKm([Math.min(...xs), Math.min(...ys)], [Math.max(...xs), Math.max(...ys)]);
  if (extentKm > 1) throw new Error(`closure cuts into Azerbaijan outside the held area (${extentKm.toFixed(1)} km piece)`);
}
const heldUncertainty = Math.max(...features.filter((f) => f.properties.kind === 'line').map((f) => f.properties.uncertainty_km));
features.push({
  type: 'Feature',
  id: 'held-area-1994-2020',
  properties: {
    id: 'held-area-1994-2020',
    kind: 'control_area',
    side: 'armenian_side',
    name: 'Area held by Armenian and Nagorno-Karabakh forces before the 2020 war',
    valid_from: '1994-05-12',
    valid_to: '2020-09-26',
    uncertainty_km: heldUncertainty,
    provenance:
      'The OpenStreetMap-derived line of contact and its Araks vertices, closed through Armenia and Iran and cut to Natural Earth\'s Azerbaijan, ' +
      'so only its edge along the line of contact carries information. © OpenStreetMap contributors (ODbL); Natural Earth (public domain).',
    licence: 'ODbL-1.0',
    attribution: '© OpenStreetMap contributors (ODbL), via Organic Maps; Natural Earth',
  },
  geometry: { type: 'Polygon', coordinates: pieces[0].map((r) => r.map(round5)) },
});

// --- the 10 November 2020 line: coarse. Its uncertainty must cover the places it puts on the
// wrong side (Natural Earth's known faults: Shushi, Talish and Madagiz are inside its area, but
// Azerbaijani forces held them after 10 November 2020). ---
const ne2020Samples = densify(ne2020Line);
const wrongSide = ['shushi', 'talish', 'mataghis'];
const wrongKm = wrongSide.map((id) => {
  const p = placePoint(id);
  if (!inPolygon(ne2020Area, p)) throw new Error(`expected '${id}' inside Natural Earth's 2020 area (its documented fault)`);
  return distanceToSamples(p, ne2020Samples);
});
const coarseKm = roundUpHalf(Math.max(10, ...wrongKm.map((km) => km + 2)));
const NE2020 =
  'Natural Earth v5.1 1:10m ne_10m_admin_0_boundary_lines_disputed_areas, the twelve parts named "Ceasefire Line 2020" chained ' +
  '(nvkelso/natural-earth-vector, commit 6a9da465f6f05b9936e34340d6a81a00f79ac1a2). COARSE: much of it reuses the 1991 oblast boundary and ' +
  `it puts Shushi, Talish and Madagiz on the wrong side (${wrongSide.map((id, i) => `${id} ${wrongKm[i].toFixed(1)} km from it`).join(', ')}).`;
features.push({
  type: 'Feature',
  id: 'loc-2020-11-10',
  properties: {
    id: 'loc-2020-11-10',
    kind: 'line',
    coarse: true,
    name: 'Line after the 10 November 2020 ceasefire (coarse)',
    valid_from: '2020-11-10',
    valid_to: null,
    uncertainty_km: coarseKm,
    provenance: NE2020,
    uncertainty_method: 'At least 2 km beyond the distance to each reference place this line is known to put on the wrong side, and never less than 10 km.',
    licence: 'public domain',
    attribution: 'Natural Earth',
  },
  geometry: { type: 'LineString', coordinates: ne2020Line.map(round5) },
});
features.push({
  type: 'Feature',
  id: 'area-2020-11-10',
  properties: {
    id: 'area-2020-11-10',
    kind: 'control_area',
    coarse: true,
    side: 'armenian_side',
    name: 'Area left to Armenian forces and Russian peacekeepers after 10 November 2020 (coarse)',
    valid_from: '2020-11-10',
    valid_to: null,
    uncertainty_km: coarseKm,
    provenance: `${NE2020} Closed along Natural Earth's Armenian border at the Lachin corridor.`,
    licence: 'public domain',
    attribution: 'Natural Earth',
  },
  geometry: { type: 'Polygon', coordinates: ne2020Area.map((r) => r.map(round5)) },
});

writeFileSync(
  OUT,
  `${JSON.stringify(
    {
      type: 'FeatureCollection',
      name: 'line_of_contact',
      description:
        'Lines of contact in the Nagorno-Karabakh conflict, built by data/scripts/build-line-of-contact.mjs. Contains OpenStreetMap-derived data ' +
        '© OpenStreetMap contributors, available under the Open Database License (ODbL 1.0), and Natural Earth data (public domain).',
      licence: 'ODbL-1.0',
      features,
    },
    null,
    1,
  )}\n`,
);
for (const f of features) {
  const p = f.properties;
  console.log(`${p.id.padEnd(30)} ${p.kind.padEnd(12)} ${String(p.uncertainty_km ?? '').padStart(5)} km  ${p.length_km ?? ''}`);
}
