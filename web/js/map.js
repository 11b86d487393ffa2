// The map: an offline basemap (Natural Earth land and borders, GSHHG rivers and lakes), the
// line of contact with depth bands, reference objects, and the incidents.
//
// Incidents come one of two ways, and look the same either way: a small filtered set is held
// as GeoJSON and clustered here; a large one is drawn from the server's vector tiles, which
// carry points where few and counted cells where many. Either way every match is drawn, and
// clusters are coloured by their commonest class. Town names and cluster counts are MapLibre
// symbol layers with the glyphs bundled in web/fonts (DejaVu Sans), so labels give way to
// each other and to clusters.
import * as maplibregl from '../vendor/maplibre-gl/maplibre-gl.mjs';
import { placeLabel, state, update } from './state.js';
import { colour, colourExpression, vocab } from './vocab.js';

export const REGION = [[43.4, 38.2], [50.6, 42.0]];
const EMPTY = { type: 'FeatureCollection', features: [] };
const BAND_COLOURS = ['step', ['get', 'from_km'], '#b2182b', 10, '#ef8a62', 25, '#fddbc7', 50, '#f7f7f7'];
/** Circle radius grows with the highest reported death toll; unknown tolls get the base size. */
const RADIUS = ['interpolate', ['linear'], ['coalesce', ['get', 'killed_high'], ['get', 'killed'], 0], 0, 6, 1, 7.5, 10, 13, 50, 20];
/** Cluster radius grows with the number of incidents in it. */
const CLUSTER_RADIUS = (count) => ['interpolate', ['linear'], count, 2, 12, 10, 15, 100, 20, 1000, 26, 10000, 32];
/** Colour ramp of the heatmap; the legend draws the same stops. */
export const HEAT_RAMP = [[0, 'rgba(33,102,172,0)'], [0.2, '#67a9cf'], [0.4, '#d1e5f0'], [0.6, '#fddbc7'], [0.8, '#ef8a62'], [1, '#b2182b']];
const FONT = ['DejaVu Sans Book'];
const BOLD = ['DejaVu Sans Bold'];
/** The colouring classes; GeoJSON clusters count their members of each value. */
const CLASSES = ['type', 'weapon', 'verification'];

function offlineStyle() {
  return {
    version: 8,
    glyphs: `${new URL('fonts/', location.href).href}{fontstack}/{range}.pbf`,
    sources: {
      countries: { type: 'geojson', data: 'data/countries.geojson' },
      lakes: { type: 'geojson', data: 'data/basemap/lakes.geojson' },
      rivers: { type: 'geojson', data: 'data/basemap/rivers.geojson' },
    },
    layers: [
      { id: 'water', type: 'background', paint: { 'background-color': '#b9d3e6' } },
      { id: 'land', type: 'fill', source: 'countries', paint: { 'fill-color': ['match', ['get', 'id'], 'AM', '#f4f0e6', 'AZ', '#f0ede6', '#e9e6df'] } },
      { id: 'lakes', type: 'fill', source: 'lakes', paint: { 'fill-color': '#b9d3e6' } },
      { id: 'rivers', type: 'line', source: 'rivers', paint: { 'line-color': '#86b6dc', 'line-width': ['interpolate', ['linear'], ['zoom'], 6, 0.7, 11, 2.5] } },
      { id: 'borders', type: 'line', source: 'countries', paint: { 'line-color': '#7d838c', 'line-width': 1.1, 'line-dasharray': [4, 2] } },
    ],
  };
}

function visibility(on) {
  return on ? 'visible' : 'none';
}

/** Property names of the per-class member counts a GeoJSON cluster keeps. */
const countName = (cls, value) => `n_${cls}_${value}`;

function clusterProperties() {
  const props = {};
  for (const cls of CLASSES) {
    for (const value of vocab[cls] || []) {
      props[countName(cls, value)] = ['+', ['case', ['==', ['get', cls], value], 1, 0]];
    }
  }
  return props;
}

/** The colour of a GeoJSON cluster: its commonest value of `cls` (ties: the first listed). */
function clusterColour(cls) {
  const values = vocab[cls] || [];
  if (values.length === 0) return '#37474f';
  const n = (v) => ['get', countName(cls, v)];
  const branches = values.flatMap((v, i) => [
    ['all', ...values.filter((w, j) => j !== i).map((w, j) => (j < i ? ['>', n(v), n(w)] : ['>=', n(v), n(w)]))],
    colour(cls, v),
  ]);
  return ['case', ...branches, '#37474f'];
}

/** A count written short: 1234 as "1.2k". */
const SHORT_COUNT = ['case', ['>=', ['get', 'count'], 10000], ['concat', ['to-string', ['round', ['/', ['get', 'count'], 1000]]], 'k'],
  ['>=', ['get', 'count'], 1000], ['concat', ['to-string', ['/', ['round', ['/', ['get', 'count'], 100]], 10]], 'k'],
  ['to-string', ['get', 'count']]];

/** Sources and layers strikemap draws over any basemap; `labels` false leaves town names to it. */
function addOverlays(map, places, labels) {
  const collection = (id) => ({ type: 'geojson', data: `api/collections/${id}/items?limit=10000` });
  map.addSource('bands', collection('depth-bands'));
  map.addSource('loc', collection('line-of-contact'));
  map.addSource('areas', collection('control-areas'));
  map.addSource('military', collection('military-objects'));
  map.addSource('protected', collection('protected-objects'));
  map.addSource('places', { type: 'geojson', data: labelled(places) });
  map.addSource('incidents', { type: 'geojson', data: EMPTY, cluster: true, clusterRadius: 36, clusterMaxZoom: 11, clusterProperties: clusterProperties() });
  map.addSource('incident-tiles', { type: 'vector', tiles: [], minzoom: 0, maxzoom: 20 });
  map.addSource('selected', { type: 'geojson', data: EMPTY });
  map.addSource('measure', { type: 'geojson', data: EMPTY });

  map.addLayer({ id: 'bands', type: 'fill', source: 'bands', paint: { 'fill-color': BAND_COLOURS, 'fill-opacity': 0.28 }, layout: { visibility: visibility(state.layers.bands) } });
  // The pre-war line is the one every depth is measured from; the coarse 10 November 2020 line
  // and Natural Earth's second digitisation of the pre-war line are drawn fainter.
  const prewar = ['==', ['get', 'valid_to'], '2020-09-26'];
  map.addLayer({ id: 'held-area', type: 'fill', source: 'areas', filter: prewar, paint: { 'fill-color': '#7a4b9c', 'fill-opacity': 0.05 } });
  map.addLayer({ id: 'loc-witness', type: 'line', source: 'loc', filter: ['==', ['get', 'kind'], 'witness'], paint: { 'line-color': '#6d4c41', 'line-width': 1.2, 'line-dasharray': [1, 2] } });
  map.addLayer({ id: 'loc-2020', type: 'line', source: 'loc', filter: ['all', ['==', ['get', 'kind'], 'line'], ['==', ['get', 'coarse'], true]], paint: { 'line-color': '#e67e22', 'line-width': 1.5, 'line-dasharray': [4, 3] } });
  map.addLayer({ id: 'loc', type: 'line', source: 'loc', filter: ['all', ['==', ['get', 'kind'], 'line'], prewar], paint: { 'line-color': '#c0392b', 'line-width': 2.5, 'line-dasharray': [3, 1.5] } });
  map.addLayer({ id: 'protected', type: 'circle', source: 'protected', paint: { 'circle-radius': 6, 'circle-color': '#ffffff', 'circle-stroke-color': '#1a7f37', 'circle-stroke-width': 3 }, layout: { visibility: visibility(state.layers.protected) } });
  map.addLayer({ id: 'military', type: 'circle', source: 'military', paint: { 'circle-radius': 6, 'circle-color': '#222', 'circle-stroke-color': '#fff', 'circle-stroke-width': 1.5 }, layout: { visibility: visibility(state.layers.military) } });

  const heatPaint = (weight) => ({
    'heatmap-weight': weight,
    'heatmap-intensity': ['interpolate', ['linear'], ['zoom'], 5, 0.6, 12, 2],
    'heatmap-radius': ['interpolate', ['linear'], ['zoom'], 5, 14, 12, 36],
    'heatmap-color': ['interpolate', ['linear'], ['heatmap-density'], ...HEAT_RAMP.flat()],
    'heatmap-opacity': 0.8,
  });
  // Every incident weighs the same: the heatmap shows where incidents were reported, not tolls.
  map.addLayer({ id: 'heat-geo', type: 'heatmap', source: 'incidents', layout: { visibility: 'none' }, paint: heatPaint(['coalesce', ['get', 'point_count'], 1]) });
  map.addLayer({ id: 'heat-tile-points', type: 'heatmap', source: 'incident-tiles', 'source-layer': 'incidents', layout: { visibility: 'none' }, paint: heatPaint(1) });
  map.addLayer({ id: 'heat-tile-clusters', type: 'heatmap', source: 'incident-tiles', 'source-layer': 'clusters', layout: { visibility: 'none' }, paint: heatPaint(['get', 'count']) });

  const clusterPaint = (count, fill) => ({ 'circle-color': fill, 'circle-opacity': 0.9, 'circle-stroke-color': '#1d2430', 'circle-stroke-width': 2, 'circle-radius': CLUSTER_RADIUS(count) });
  const pointPaint = { 'circle-color': colourExpression(state.colorBy), 'circle-radius': RADIUS, 'circle-stroke-color': '#fff', 'circle-stroke-width': 1.5 };
  map.addLayer({ id: 'clusters', type: 'circle', source: 'incidents', filter: ['has', 'point_count'], paint: clusterPaint(['get', 'point_count'], clusterColour(state.colorBy)) });
  map.addLayer({ id: 'incident-points', type: 'circle', source: 'incidents', filter: ['!', ['has', 'point_count']], paint: pointPaint });
  map.addLayer({ id: 'tile-clusters', type: 'circle', source: 'incident-tiles', 'source-layer': 'clusters', paint: clusterPaint(['get', 'count'], colourExpression(state.colorBy)) });
  map.addLayer({ id: 'tile-points', type: 'circle', source: 'incident-tiles', 'source-layer': 'incidents', paint: pointPaint });
  map.addLayer({ id: 'selected', type: 'circle', source: 'selected', paint: { 'circle-radius': 16, 'circle-color': 'rgba(0,0,0,0)', 'circle-stroke-color': '#f0a500', 'circle-stroke-width': 4 } });

  // Town names first (lowest priority), then cluster counts, which always show and push
  // names out of the way of their circle.
  if (labels) {
    const label = (id, kinds, minzoom) => map.addLayer({
      id, type: 'symbol', source: 'places', minzoom, filter: ['in', ['get', 'kind'], ['literal', kinds]],
      layout: { 'text-field': ['get', 'label'], 'text-font': kinds.includes('village') ? FONT : BOLD, 'text-size': kinds.includes('city') ? 13 : 11.5, 'text-offset': [0, -1.1], 'text-anchor': 'bottom', 'text-padding': 3, 'text-max-width': 14 },
      paint: { 'text-color': '#222', 'text-halo-color': '#fff', 'text-halo-width': 1.6 },
    });
    label('labels-village', ['village'], 9);
    label('labels-town', ['town'], 7);
    label('labels-city', ['city'], 5);
  }
  const counts = (id, source, sourceLayer, field) => map.addLayer({
    id, type: 'symbol', source, ...(sourceLayer ? { 'source-layer': sourceLayer } : {}), ...(source === 'incidents' ? { filter: ['has', 'point_count'] } : {}),
    layout: { 'text-field': field, 'text-font': BOLD, 'text-size': 12, 'text-allow-overlap': true, 'text-padding': 14 },
    paint: { 'text-color': '#fff', 'text-halo-color': '#1d2430', 'text-halo-width': 1.2 },
  });
  counts('cluster-counts', 'incidents', null, ['get', 'point_count_abbreviated']);
  counts('tile-cluster-counts', 'incident-tiles', 'clusters', SHORT_COUNT);
  map.addLayer({ id: 'measure-line', type: 'line', source: 'measure', paint: { 'line-color': '#0b5cad', 'line-width': 3, 'line-dasharray': [2, 1] } });
  map.addLayer({ id: 'measure-points', type: 'circle', source: 'measure', filter: ['==', ['geometry-type'], 'Point'], paint: { 'circle-radius': 5, 'circle-color': '#0b5cad', 'circle-stroke-color': '#fff', 'circle-stroke-width': 2 } });
}

/** The gazetteer with each place's label in the reader's naming. */
function labelled(places) {
  return {
    type: 'FeatureCollection',
    features: places.features.map((f) => ({ type: 'Feature', geometry: f.geometry, properties: { kind: f.properties.kind, label: placeLabel(f.properties) } })),
  };
}

/** Layers drawing incidents, by how they come. */
const GEO_LAYERS = ['clusters', 'incident-points', 'cluster-counts'];
const TILE_LAYERS = ['tile-clusters', 'tile-points', 'tile-cluster-counts'];
export const POINT_LAYERS = ['incident-points', 'tile-points'];
export const CLUSTER_LAYERS = ['clusters', 'tile-clusters'];

/**
 * Creates the map over the gazetteer `places`. `onPick(ids)` is called with the incidents
 * under a click, `onDense(bbox)` with a small box around a cluster too dense to split.
 */
export function createMap(config, places, { onPick, onDense }) {
  const view = state.view;
  const ownStyle = !config.basemap_style;
  const map = new maplibregl.Map({
    container: 'map',
    style: config.basemap_style || offlineStyle(),
    center: view ? [view.lon, view.lat] : [46.75, 39.9],
    zoom: view ? view.zoom : 7,
    maxBounds: ownStyle ? REGION : undefined,
    // Keep the last frame so that printing and screenshots show the map, not a blank canvas.
    canvasContextAttributes: { preserveDrawingBuffer: true },
    attributionControl: { compact: true, customAttribution: 'Line of contact: © OpenStreetMap contributors (ODbL), Natural Earth · Basemap: Natural Earth, GSHHG · Places: GeoNames (CC BY 4.0) · strikemap' },
  });
  map.addControl(new maplibregl.NavigationControl({ showCompass: false }), 'bottom-right');
  map.addControl(new maplibregl.ScaleControl({ unit: 'metric' }), 'bottom-right');
  // The print layout gives the map another size: redraw at that size, and back afterwards.
  for (const event of ['beforeprint', 'afterprint']) window.addEventListener(event, () => map.resize());
  window.matchMedia('print').addEventListener('change', () => map.resize());
  let mode = 'geo';
  const loaded = new Promise((resolve) => {
    map.on('load', () => {
      // An online style brings its own glyphs and town names; the bundled fonts only when not.
      const style = map.getStyle();
      if (!style.glyphs) map.setGlyphs(`${new URL('fonts/', location.href).href}{fontstack}/{range}.pbf`);
      addOverlays(map, places, ownStyle || !style.glyphs);
      // The attribution starts folded, so it never lies over the panels.
      map.getContainer().querySelector('.maplibregl-compact-show')?.classList.remove('maplibregl-compact-show');
      applyVisibility();
      resolve();
    });
  });

  function applyVisibility() {
    const heat = state.heatmap;
    for (const id of GEO_LAYERS) map.setLayoutProperty(id, 'visibility', visibility(mode === 'geo' && !heat));
    for (const id of TILE_LAYERS) map.setLayoutProperty(id, 'visibility', visibility(mode === 'tiles' && !heat));
    map.setLayoutProperty('heat-geo', 'visibility', visibility(mode === 'geo' && heat));
    for (const id of ['heat-tile-points', 'heat-tile-clusters']) map.setLayoutProperty(id, 'visibility', visibility(mode === 'tiles' && heat));
  }

  map.on('moveend', () => {
    const c = map.getCenter();
    update({ view: { lon: c.lng, lat: c.lat, zoom: map.getZoom() } }, 'view');
  });
  for (const layer of [...POINT_LAYERS, ...CLUSTER_LAYERS]) {
    map.on('mouseenter', layer, () => { map.getCanvas().style.cursor = 'pointer'; });
    map.on('mouseleave', layer, () => { map.getCanvas().style.cursor = ''; });
  }
  map.on('click', (e) => {
    if (map.getCanvas().dataset.tool) return;
    pickAt(e.point);
  });

  /** What is under a screen point: incidents to choose, or a cluster to open. */
  async function pickAt(point) {
    const box = [[point.x - 5, point.y - 5], [point.x + 5, point.y + 5]];
    const points = map.queryRenderedFeatures(box, { layers: POINT_LAYERS.filter((l) => map.getLayer(l)) });
    if (points.length) {
      onPick(points.map((f) => f.properties.id));
      return true;
    }
    const clusters = map.queryRenderedFeatures(box, { layers: CLUSTER_LAYERS.filter((l) => map.getLayer(l)) });
    if (!clusters.length) return false;
    const cluster = clusters[0];
    if (cluster.layer.id === 'clusters') {
      const source = map.getSource('incidents');
      const leaves = await source.getClusterLeaves(cluster.properties.cluster_id, 1000, 0);
      const spots = new Set(leaves.map((l) => l.geometry.coordinates.join(',')));
      if (spots.size === 1) {
        // Incidents at the very same point never split apart: list them instead.
        onPick(leaves.map((l) => l.properties.id));
      } else {
        const zoom = await source.getClusterExpansionZoom(cluster.properties.cluster_id);
        map.easeTo({ center: cluster.geometry.coordinates, zoom });
      }
    } else if (map.getZoom() >= 17) {
      // A cell this deep does not split by zooming: list what is in it from the API.
      const sw = map.unproject([point.x - 12, point.y + 12]);
      const ne = map.unproject([point.x + 12, point.y - 12]);
      onDense([sw.lng, sw.lat, ne.lng, ne.lat]);
    } else {
      map.easeTo({ center: cluster.geometry.coordinates, zoom: Math.min(map.getZoom() + 2, 18) });
    }
    return true;
  }

  return {
    map,
    loaded,
    pickAt,
    /** How incidents are drawn now: 'geo' (GeoJSON held here) or 'tiles'. */
    get mode() { return mode; },
    /** Draws `collection`, every match of a small filtered set. */
    showSmall(collection) {
      mode = 'geo';
      map.getSource('incidents').setData(collection);
      map.getSource('incident-tiles').setTiles([]);
      applyVisibility();
    },
    /** Draws every match of a large filtered set from the server's tiles at `template`. */
    showTiles(template) {
      mode = 'tiles';
      map.getSource('incidents').setData(EMPTY);
      map.getSource('incident-tiles').setTiles([template]);
      applyVisibility();
    },
    /** Draws no incidents (the filters are in error). */
    clear() {
      map.getSource('incidents').setData(EMPTY);
      map.getSource('incident-tiles').setTiles([]);
      map.getSource('selected').setData(EMPTY);
    },
    setSelected(feature) {
      map.getSource('selected').setData(feature ? { type: 'FeatureCollection', features: [feature] } : EMPTY);
    },
    setColourBy(name) {
      for (const id of POINT_LAYERS) map.setPaintProperty(id, 'circle-color', colourExpression(name));
      map.setPaintProperty('tile-clusters', 'circle-color', colourExpression(name));
      map.setPaintProperty('clusters', 'circle-color', clusterColour(name));
    },
    setHeatmap() {
      applyVisibility();
    },
    setLayer(name, on) {
      map.setLayoutProperty(name, 'visibility', visibility(on));
    },
    refreshLabels() {
      map.getSource('places')?.setData(labelled(places));
    },
    setMeasure(collection) {
      map.getSource('measure').setData(collection);
    },
    /** Fits the map to `[west, south, east, north]` unless it is already in view. */
    fitTo(bbox, { always = false } = {}) {
      if (!bbox) return;
      const bounds = new maplibregl.LngLatBounds([bbox[0], bbox[1]], [bbox[2], bbox[3]]);
      const shown = map.getBounds();
      const inView = shown.contains(bounds.getSouthWest()) && shown.contains(bounds.getNorthEast());
      if (inView && !always) return;
      const details = document.getElementById('details');
      const right = details.hidden ? 60 : Math.min(details.offsetWidth + 40, map.getCanvas().clientWidth / 2);
      map.fitBounds(bounds, { padding: { top: 60, bottom: 60, left: 60, right }, maxZoom: 12, duration: 0 });
    },
    flyTo(feature) {
      map.flyTo({ center: feature.geometry.coordinates, zoom: Math.max(map.getZoom(), 11), speed: 1.6 });
    },
  };
}

export { maplibregl };
