// strikemap's map page: reads the state from the URL, asks the API, and keeps the map, the
// list, the counts, the timeline and the panels in step. No filtering happens here.
import { readUrl, state, subscribe, update } from './state.js';
import { ApiError, fetchIncidents, fetchTimelineStats, getJson } from './api.js';
import { loadVocab } from './vocab.js';
import { createMap } from './map.js';
import { setUpFilters, showError, syncFilters } from './filters.js';
import { markSelected, renderList } from './list.js';
import { hide as hideDetails, showChoices, showIncident } from './details.js';
import { redrawTimeline, renderTimeline, setUpTimeline } from './timeline.js';
import { setUpMeasure } from './measure.js';
import { setUpExport } from './export.js';
import { renderLegend } from './legend.js';
import { renderSummaries } from './summaries.js';

let current = { type: 'FeatureCollection', features: [], numberMatched: 0, numberReturned: 0 };
let generation = 0;
let view;

function setStatus(status) {
  document.body.dataset.status = status;
}

function countText(collection) {
  const { numberMatched: matched, numberReturned: shown } = collection;
  const noun = matched === 1 ? 'incident' : 'incidents';
  return shown < matched ? `${shown} of ${matched} ${noun} shown` : `${matched} ${noun} shown`;
}

/** Asks the API for the incidents and the timeline that match the filters. */
async function reload({ fit = false } = {}) {
  const mine = ++generation;
  setStatus('loading');
  try {
    const [collection, stats] = await Promise.all([fetchIncidents(), fetchTimelineStats()]);
    if (mine !== generation) return;
    current = collection;
    showError(null);
    view.setIncidents(collection);
    renderList(collection, select);
    renderTimeline(stats);
    document.getElementById('count').textContent = countText(collection);
    document.body.dataset.count = String(collection.numberReturned);
    if (fit) view.fitTo(collection);
    await showSelected();
    setStatus('ready');
  } catch (error) {
    if (mine !== generation) return;
    if (!(error instanceof ApiError)) throw error;
    showError(error);
    setStatus('error');
  }
}

function findFeature(id) {
  return current.features.find((f) => f.properties.id === id);
}

/** Shows the selected incident, fetching it if the current filters hide it. */
async function showSelected() {
  if (!state.selected) {
    document.getElementById('details').hidden = true;
    view.setSelected(null);
    markSelected();
    return;
  }
  let feature = findFeature(state.selected);
  if (!feature) {
    try {
      const naming = state.naming === 'hy-az' ? null : new URLSearchParams({ naming: state.naming });
      feature = await getJson(`api/collections/incidents/items/${encodeURIComponent(state.selected)}`, naming);
    } catch {
      update({ selected: null }, 'select');
      return;
    }
  }
  showIncident(feature);
  view.setSelected(feature);
  markSelected();
}

/** Selects an incident from the list or the map; `fly` moves the map to it. */
function select(id, { fly = true } = {}) {
  update({ selected: id }, 'select');
  const feature = findFeature(id);
  if (feature && fly) view.flyTo(feature);
}

/** Several ids under one click: choose directly, or list them. */
function pick(ids) {
  const unique = [...new Set(ids)];
  if (unique.length === 1) {
    select(unique[0], { fly: false });
    return;
  }
  const features = unique.map(findFeature).filter(Boolean);
  showChoices(features, (id) => select(id, { fly: false }));
}

function setUpMapOptions() {
  const colorBy = document.getElementById('color-by');
  colorBy.value = state.colorBy;
  colorBy.addEventListener('change', () => update({ colorBy: colorBy.value }, 'style'));
  const heatmap = document.getElementById('heatmap');
  heatmap.checked = state.heatmap;
  heatmap.addEventListener('change', () => update({ heatmap: heatmap.checked }, 'style'));
  for (const layer of ['bands', 'military', 'protected']) {
    const box = document.getElementById(`layer-${layer}`);
    box.checked = state.layers[layer];
    box.addEventListener('change', () => update({ layers: { ...state.layers, [layer]: box.checked } }, 'style'));
  }
  const naming = document.getElementById('naming');
  naming.value = state.naming;
  naming.addEventListener('change', () => update({ naming: naming.value }, 'naming'));
  const sort = document.getElementById('sort');
  sort.value = state.sort;
  sort.addEventListener('change', () => update({ sort: sort.value }, 'sort'));
}

function applyStyle() {
  view.setColourBy(state.colorBy);
  view.setHeatmap(state.heatmap);
  for (const layer of ['bands', 'military', 'protected']) view.setLayer(layer, state.layers[layer]);
  view.refreshLabels();
  renderLegend();
  renderList(current, select);
}

async function start() {
  setStatus('loading');
  readUrl();
  if (window.matchMedia('(max-width: 760px)').matches) {
    // On a phone the map comes first: start with the option and legend panels folded.
    document.querySelector('.map-options').open = false;
    document.getElementById('legend-box').open = false;
  }
  const config = await (await fetch('config.json')).json();
  await loadVocab();
  // The gazetteer serves both the town labels and the town autocomplete: fetch it once.
  const places = await getJson('api/collections/places/items', new URLSearchParams({ limit: '10000' }));
  view = createMap(config, places, pick);
  setUpFilters(places);
  setUpMapOptions();
  setUpTimeline();
  setUpMeasure(view);
  setUpExport();
  renderLegend();
  document.addEventListener('keydown', (e) => {
    if (e.key === 'Escape' && state.selected && !view.map.getCanvas().dataset.tool) hideDetails();
  });
  subscribe((reason) => {
    if (reason === 'filters') {
      syncFilters();
      redrawTimeline();
      reload();
    } else if (reason === 'sort') {
      reload();
    } else if (reason === 'select') {
      showSelected();
    } else if (reason === 'style') {
      applyStyle();
    } else if (reason === 'naming') {
      // Map labels change at once; the list, details and exports come back from the API.
      applyStyle();
      reload();
    }
  });
  await renderSummaries();
  await view.loaded;
  const hadView = Boolean(state.view);
  await reload({ fit: !hadView });
  window.strikemap = { map: view.map, state };
}

start().catch((error) => {
  setStatus('error');
  document.getElementById('count').textContent = `Could not start: ${error.message}`;
  throw error;
});
