// The map: an offline basemap (Natural Earth land and borders, GSHHG rivers and lakes), the
// line of contact with depth bands, reference objects, and the incidents, clustered.
//
// MapLibre draws text with glyph files that an offline deployment does not have, so town
// names and cluster counts are small HTML elements placed on the map instead.
import * as maplibregl from '../vendor/maplibre-gl/maplibre-gl.mjs';
import { placeLabel, state, update } from './state.js';
import { colourExpression } from './vocab.js';

export const REGION = [[43.4, 38.2], [50.6, 42.0]];
const EMPTY = { type: 'FeatureCollection', features: [] };
const BAND_COLOURS = ['step', ['get', 'from_km'], '#b2182b', 10, '#ef8a62', 25, '#fddbc7', 50, '#f7f7f7'];
/** Circle radius grows with the highest reported death toll; unknown tolls get the base size. */
const RADIUS = ['interpolate', ['linear'], ['coalesce', ['get', 'killed_high'], ['get', 'killed'], 0], 0, 6, 1, 7.5, 10, 13, 50, 20];

function offlineStyle() {
  return {
    version: 8,
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

/** Sources and layers strikemap draws over any basemap. */
function addOverlays(map) {
  const collection = (id) => ({ type: 'geojson', data: `api/collections/${id}/items?limit=10000` });
  map.addSource('bands', collection('depth-bands'));
  map.addSource('loc', collection('line-of-contact'));
  map.addSource('areas', collection('control-areas'));
  map.addSource('military', collection('military-objects'));
  map.addSource('protected', collection('protected-objects'));
  map.addSource('incidents', { type: 'geojson', data: EMPTY, cluster: true, clusterRadius: 36, clusterMaxZoom: 11 });
  map.addSource('incidents-all', { type: 'geojson', data: EMPTY });
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
  map.addLayer({
    id: 'heatmap', type: 'heatmap', source: 'incidents-all', layout: { visibility: visibility(state.heatmap) },
    paint: {
      'heatmap-weight': ['interpolate', ['linear'], ['coalesce', ['get', 'killed_high'], 0], 0, 0.5, 10, 1],
      'heatmap-radius': ['interpolate', ['linear'], ['zoom'], 6, 18, 11, 40],
      'heatmap-opacity': 0.8,
    },
  });
  map.addLayer({
    id: 'clusters', type: 'circle', source: 'incidents', filter: ['has', 'point_count'],
    layout: { visibility: visibility(!state.heatmap) },
    paint: { 'circle-color': '#37474f', 'circle-opacity': 0.85, 'circle-stroke-color': '#fff', 'circle-stroke-width': 2, 'circle-radius': ['step', ['get', 'point_count'], 13, 5, 17, 20, 22, 100, 28] },
  });
  map.addLayer({
    id: 'incident-points', type: 'circle', source: 'incidents', filter: ['!', ['has', 'point_count']],
    layout: { visibility: visibility(!state.heatmap) },
    paint: { 'circle-color': colourExpression(state.colorBy), 'circle-radius': RADIUS, 'circle-stroke-color': '#fff', 'circle-stroke-width': 1.5 },
  });
  map.addLayer({ id: 'selected', type: 'circle', source: 'selected', paint: { 'circle-radius': 16, 'circle-color': 'rgba(0,0,0,0)', 'circle-stroke-color': '#f0a500', 'circle-stroke-width': 4 } });
  map.addLayer({ id: 'measure-line', type: 'line', source: 'measure', paint: { 'line-color': '#0b5cad', 'line-width': 3, 'line-dasharray': [2, 1] } });
  map.addLayer({ id: 'measure-points', type: 'circle', source: 'measure', filter: ['==', ['geometry-type'], 'Point'], paint: { 'circle-radius': 5, 'circle-color': '#0b5cad', 'circle-stroke-color': '#fff', 'circle-stroke-width': 2 } });
}

/** HTML labels for towns, in the chosen naming, shown by zoom (villages only when close). */
class TownLabels {
  constructor(map) {
    this.map = map;
    this.markers = [];
    map.on('zoom', () => this.refresh());
  }

  /** Places one label per gazetteer entry (`places`, the places collection). */
  show(places) {
    for (const feature of places.features) {
      const el = document.createElement('div');
      el.className = `town-label ${feature.properties.kind}`;
      const marker = new maplibregl.Marker({ element: el, anchor: 'bottom' }).setLngLat(feature.geometry.coordinates).addTo(this.map);
      this.markers.push({ marker, el, props: feature.properties });
    }
    this.refresh();
  }

  refresh() {
    const zoom = this.map.getZoom();
    for (const { el, props } of this.markers) {
      el.textContent = placeLabel(props);
      const minZoom = props.kind === 'village' ? 9 : props.kind === 'city' ? 5 : 7;
      el.hidden = zoom < minZoom;
    }
  }
}

/** HTML counts on cluster circles, refreshed as the map renders. */
class ClusterCounts {
  constructor(map) {
    this.map = map;
    this.shown = new Map();
    map.on('render', () => this.refresh());
  }

  refresh() {
    if (!this.map.getSource('incidents') || !this.map.isSourceLoaded('incidents')) return;
    const next = new Map();
    if (!state.heatmap) {
      for (const f of this.map.querySourceFeatures('incidents')) {
        const p = f.properties;
        if (!p.cluster || next.has(p.cluster_id)) continue;
        let marker = this.shown.get(p.cluster_id);
        if (!marker) {
          const el = document.createElement('div');
          el.className = 'cluster-count';
          el.textContent = p.point_count_abbreviated ?? p.point_count;
          marker = new maplibregl.Marker({ element: el }).setLngLat(f.geometry.coordinates);
        }
        next.set(p.cluster_id, marker);
      }
    }
    for (const [id, marker] of this.shown) if (!next.has(id)) marker.remove();
    for (const [id, marker] of next) if (!this.shown.has(id)) marker.addTo(this.map);
    this.shown = next;
  }
}

/**
 * Creates the map over the gazetteer `places`; `onPick(ids)` is called with the incidents
 * under a click.
 */
export function createMap(config, places, onPick) {
  const view = state.view;
  const map = new maplibregl.Map({
    container: 'map',
    style: config.basemap_style || offlineStyle(),
    center: view ? [view.lon, view.lat] : [46.75, 39.9],
    zoom: view ? view.zoom : 7,
    maxBounds: config.basemap_style ? undefined : REGION,
    // Keep the last frame so that printing and screenshots show the map, not a blank canvas.
    canvasContextAttributes: { preserveDrawingBuffer: true },
    attributionControl: { compact: true, customAttribution: 'Line of contact: © OpenStreetMap contributors (ODbL), Natural Earth · Basemap: Natural Earth, GSHHG · Places: GeoNames (CC BY 4.0) · strikemap' },
  });
  map.addControl(new maplibregl.NavigationControl({ showCompass: false }), 'top-right');
  map.addControl(new maplibregl.ScaleControl({ unit: 'metric' }), 'bottom-right');
  // The print layout gives the map another size: redraw at that size, and back afterwards.
  for (const event of ['beforeprint', 'afterprint']) window.addEventListener(event, () => map.resize());
  window.matchMedia('print').addEventListener('change', () => map.resize());
  const labels = new TownLabels(map);
  const loaded = new Promise((resolve) => {
    map.on('load', async () => {
      addOverlays(map);
      new ClusterCounts(map);
      labels.show(places);
      resolve();
    });
  });

  map.on('moveend', () => {
    const c = map.getCenter();
    update({ view: { lon: c.lng, lat: c.lat, zoom: map.getZoom() } }, 'view');
  });
  for (const layer of ['incident-points', 'clusters']) {
    map.on('mouseenter', layer, () => { map.getCanvas().style.cursor = 'pointer'; });
    map.on('mouseleave', layer, () => { map.getCanvas().style.cursor = ''; });
  }
  map.on('click', async (e) => {
    if (map.getCanvas().dataset.tool) return;
    const box = [[e.point.x - 5, e.point.y - 5], [e.point.x + 5, e.point.y + 5]];
    const points = map.queryRenderedFeatures(box, { layers: ['incident-points'] });
    if (points.length) {
      onPick(points.map((f) => f.properties.id));
      return;
    }
    const clusters = map.queryRenderedFeatures(box, { layers: ['clusters'] });
    if (clusters.length) {
      const source = map.getSource('incidents');
      const cluster = clusters[0];
      const leaves = await source.getClusterLeaves(cluster.properties.cluster_id, 1000, 0);
      const spots = new Set(leaves.map((l) => l.geometry.coordinates.join(',')));
      if (spots.size === 1) {
        // Incidents at the very same point never split apart: list them instead.
        onPick(leaves.map((l) => l.properties.id));
      } else {
        const zoom = await source.getClusterExpansionZoom(cluster.properties.cluster_id);
        map.easeTo({ center: cluster.geometry.coordinates, zoom });
      }
    }
  });

  return {
    map,
    loaded,
    /** Shows `collection` (a FeatureCollection of incidents). */
    setIncidents(collection) {
      map.getSource('incidents').setData(collection);
      map.getSource('incidents-all').setData(collection);
    },
    setSelected(feature) {
      map.getSource('selected').setData(feature ? { type: 'FeatureCollection', features: [feature] } : EMPTY);
    },
    setColourBy(name) {
      map.setPaintProperty('incident-points', 'circle-color', colourExpression(name));
    },
    setHeatmap(on) {
      map.setLayoutProperty('heatmap', 'visibility', visibility(on));
      map.setLayoutProperty('clusters', 'visibility', visibility(!on));
      map.setLayoutProperty('incident-points', 'visibility', visibility(!on));
    },
    setLayer(name, on) {
      map.setLayoutProperty(name, 'visibility', visibility(on));
    },
    refreshLabels() {
      labels.refresh();
    },
    setMeasure(collection) {
      map.getSource('measure').setData(collection);
    },
    fitTo(collection) {
      const coords = collection.features.map((f) => f.geometry.coordinates);
      if (coords.length === 0) return;
      const bounds = coords.reduce((b, c) => b.extend(c), new maplibregl.LngLatBounds(coords[0], coords[0]));
      map.fitBounds(bounds, { padding: 60, maxZoom: 10, duration: 0 });
    },
    flyTo(feature) {
      map.flyTo({ center: feature.geometry.coordinates, zoom: Math.max(map.getZoom(), 11), speed: 1.6 });
    },
  };
}

export { maplibregl };
