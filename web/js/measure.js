// Measuring tools: click a point for its depth from the line, side, nearest objects and town
// (from /api/measure); or click points of a line to read its geodesic length
// (from /api/measure/path). The ellipsoidal geodesy stays on the server.
import { fetchMeasure, fetchPathLength } from './api.js';
import { esc, km, sideText } from './format.js';

const EMPTY = { type: 'FeatureCollection', features: [] };

export function setUpMeasure(view) {
  const { map } = view;
  const canvas = map.getCanvas();
  const result = document.getElementById('measure-result');
  const buttons = { point: document.getElementById('measure-point'), line: document.getElementById('measure-line') };
  let mode = null;
  let path = [];

  function setMode(next) {
    mode = mode === next ? null : next;
    for (const [name, button] of Object.entries(buttons)) button.setAttribute('aria-pressed', String(mode === name));
    canvas.dataset.tool = mode || '';
    if (!mode) delete canvas.dataset.tool;
    canvas.style.cursor = mode ? 'crosshair' : '';
    document.getElementById('crosshair').hidden = !mode;
    path = [];
    view.setMeasure(EMPTY);
    if (mode) {
      result.hidden = false;
      result.innerHTML = mode === 'point'
        ? 'Click the map to measure a point, or focus the map, move it with the arrow keys and press Enter to measure its centre (+).'
        : 'Click points of a line, or press Enter on the focused map to add its centre (+); double-click or press Escape to finish.';
    } else {
      result.hidden = true;
    }
  }

  async function measurePoint(lngLat) {
    view.setMeasure({ type: 'FeatureCollection', features: [{ type: 'Feature', geometry: { type: 'Point', coordinates: [lngLat.lng, lngLat.lat] }, properties: {} }] });
    result.innerHTML = 'Measuring…';
    try {
      const m = await fetchMeasure(lngLat.lng, lngLat.lat);
      const object = (o, what) => (o ? `${km(o.distance_km)} (${esc(o.name)})` : `none documented in the ${what} layer`);
      result.innerHTML = `
        <strong>${lngLat.lat.toFixed(4)}° N, ${lngLat.lng.toFixed(4)}° E</strong>
        <p class="depth"><strong>${km(m.depth_km)}</strong> from the line of contact (${km(m.depth_low_km)}–${km(m.depth_high_km)} with the line's uncertainty), ${esc(sideText(m.side))}</p>
        <p>Nearest place: ${m.nearest_place ? `${esc(m.nearest_place.name)}, ${km(m.nearest_place.distance_km)}` : '—'}<br>
        Nearest military object: ${object(m.nearest_military, 'military objects')}<br>
        Nearest protected object: ${object(m.nearest_protected, 'protected objects')}</p>
        <p class="hint">${esc(m.note)}</p>`;
    } catch (error) {
      result.textContent = error.message;
    }
  }

  async function extendLine(lngLat) {
    path.push([lngLat.lng, lngLat.lat]);
    const features = path.map((c) => ({ type: 'Feature', geometry: { type: 'Point', coordinates: c }, properties: {} }));
    if (path.length >= 2) features.push({ type: 'Feature', geometry: { type: 'LineString', coordinates: path }, properties: {} });
    view.setMeasure({ type: 'FeatureCollection', features });
    if (path.length < 2) {
      result.innerHTML = 'Click the next point.';
      return;
    }
    try {
      const length = await fetchPathLength(path);
      result.innerHTML = `<p class="distance"><strong>${km(length.total_km)}</strong> geodesic distance (WGS84) over ${path.length - 1} segment(s).</p><p class="hint">Double-click or press Escape to finish; click "Measure a distance" again to clear.</p>`;
    } catch (error) {
      result.textContent = error.message;
    }
  }

  buttons.point.addEventListener('click', () => setMode('point'));
  buttons.line.addEventListener('click', () => setMode('line'));
  map.on('click', (e) => {
    if (mode === 'point') measurePoint(e.lngLat);
    if (mode === 'line') extendLine(e.lngLat);
  });
  map.on('dblclick', (e) => {
    if (mode === 'line') {
      e.preventDefault();
      mode = null;
      for (const button of Object.values(buttons)) button.setAttribute('aria-pressed', 'false');
      delete canvas.dataset.tool;
      canvas.style.cursor = '';
      document.getElementById('crosshair').hidden = true;
    }
  });
  document.addEventListener('keydown', (e) => {
    if (e.key === 'Escape' && mode) setMode(mode);
  });
  // Without a mouse: the map's centre, marked by the crosshair, is the point measured.
  canvas.addEventListener('keydown', (e) => {
    if (!mode || (e.key !== 'Enter' && e.key !== ' ')) return;
    e.preventDefault();
    const centre = map.getCenter();
    if (mode === 'point') measurePoint(centre);
    else extendLine(centre);
  });
}
