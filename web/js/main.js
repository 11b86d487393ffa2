// strikemap's map page: reads the state from the URL, asks the API, and keeps the map, the
// list, the counts, the timeline and the panels in step. No filtering happens here.
//
// Every filter change asks /api/stats for the count, the box and the days of the matches;
// a small set is then drawn from GeoJSON, a large one from the server's vector tiles, and the
// list pages through the API. Nothing is cut at a page size, and the count says what is
// drawn how.
import { readUrl, state, subscribe, update } from './state.js';
import { ApiError, SMALL, fetchAllSmall, fetchInBox, fetchStats, fetchTimelineStats, getJson, stillMatches, tileTemplate } from './api.js';
import { loadVocab } from './vocab.js';
import { createMap } from './map.js';
import { setUpFilters, showError, syncFilters } from './filters.js';
import { clearList, markSelected, redrawList, resetList, setUpList } from './list.js';
import { hide as hideDetails, showChoices, showIncident, showMessage } from './details.js';
import { isPlaying, redrawTimeline, renderTimeline, setUpTimeline } from './timeline.js';
import { setUpMeasure } from './measure.js';
import { setUpExport } from './export.js';
import { renderLegend } from './legend.js';
import { renderSummaries } from './summaries.js';

let small = null; // the GeoJSON of a small filtered set, when that is what the map holds
let generation = 0;
let view;
let controller = null;

function setStatus(status) {
  document.body.dataset.status = status;
}

const number = (n) => n.toLocaleString('en-GB');

function countText(matched, mode) {
  const noun = matched === 1 ? 'incident' : 'incidents';
  if (matched === 0) return 'No incidents match these filters';
  const how = mode === 'tiles' ? ' (all drawn; counted in clusters where dense)' : '';
  return `${number(matched)} ${noun} match${how}`;
}

/** Asks the API for what matches the filters and shows it; `fit` moves the map to it. */
async function reload({ fit = false } = {}) {
  const mine = ++generation;
  controller?.abort();
  controller = new AbortController();
  const { signal } = controller;
  setStatus('loading');
  try {
    const [stats, timeline] = await Promise.all([fetchStats({ signal }), fetchTimelineStats({ signal })]);
    if (mine !== generation) return;
    const matched = stats.number_matched;
    small = matched <= SMALL ? await fetchAllSmall({ signal }) : null;
    if (mine !== generation) return;
    showError(null);
    if (small) view.showSmall(small);
    else view.showTiles(tileTemplate());
    const listed = resetList(matched, select, listError);
    renderTimeline(timeline);
    document.getElementById('count').textContent = countText(matched, view.mode);
    document.body.dataset.count = String(matched);
    document.body.dataset.mode = view.mode;
    if (fit) view.fitTo(stats.bbox, { always: fit === 'always' });
    await Promise.all([listed, showSelected({ check: true })]);
    if (mine !== generation) return;
    setStatus('ready');
  } catch (error) {
    if (error.name === 'AbortError' || mine !== generation) return;
    if (!(error instanceof ApiError)) throw error;
    // Nothing stale stays on screen: what was shown belonged to other filters.
    small = null;
    view.clear();
    clearList();
    renderTimeline(null);
    showError(error, () => {});
    document.getElementById('count').textContent = 'No results: correct the filter marked in red';
    document.body.dataset.count = '0';
    setStatus('error');
  }
}

function listError(error) {
  document.getElementById('list-note').hidden = false;
  document.getElementById('list-note').textContent = `Part of the list could not be loaded (${error.message}); scroll again to retry.`;
}

function findFeature(id) {
  return small?.features.find((f) => f.properties.id === id);
}

function fetchFeature(id) {
  const naming = state.naming === 'hy-az' ? null : new URLSearchParams({ naming: state.naming });
  return getJson(`api/collections/incidents/items/${encodeURIComponent(id)}`, naming);
}

/**
 * Shows the selected incident; with `check`, first makes sure it still matches the filters
 * (a filtered-out incident is unselected).
 */
async function showSelected({ check = false } = {}) {
  const id = state.selected;
  if (!id) {
    document.getElementById('details').hidden = true;
    document.querySelector('.map-area').classList.remove('details-open');
    view.setSelected(null);
    markSelected();
    return;
  }
  let feature = findFeature(id);
  try {
    if (!feature) {
      feature = await fetchFeature(id);
      // A small set is held whole: not in it means filtered out.
      if (check && (small || !(await stillMatches(id)))) {
        update({ selected: null }, 'select');
        return;
      }
    }
  } catch (error) {
    if (!(error instanceof ApiError)) throw error;
    state.selected = null;
    update({ selected: null }, 'view');
    showMessage(error.status === 404 ? `The link names incident “${id}”, which is not in this dataset.` : `Incident “${id}” could not be shown: ${error.message}`);
    return;
  }
  if (state.selected !== id) return;
  showIncident(feature);
  view.setSelected(feature);
  markSelected();
}

/** Selects an incident from the list or the map; `fly` moves the map to it. */
async function select(id, { fly = true } = {}) {
  update({ selected: id }, 'select');
  if (!fly) return;
  const feature = findFeature(id) || (await fetchFeature(id).catch(() => null));
  if (feature && state.selected === id) view.flyTo(feature);
}

/** Several ids under one click: choose directly, or list them. */
async function pick(ids) {
  const unique = [...new Set(ids)];
  if (unique.length === 1) {
    select(unique[0], { fly: false });
    return;
  }
  const features = (await Promise.all(unique.map((id) => findFeature(id) || fetchFeature(id).catch(() => null)))).filter(Boolean);
  showChoices(features, features.length, (id) => select(id, { fly: false }));
}

/** A cluster too dense to split by zooming: list what is in it. */
async function dense(bbox) {
  try {
    const answer = await fetchInBox(bbox);
    showChoices(answer.features, answer.numberMatched, (id) => select(id, { fly: false }));
  } catch (error) {
    if (error instanceof ApiError) showMessage(error.message);
  }
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

function syncMapOptions() {
  document.getElementById('color-by').value = state.colorBy;
  document.getElementById('heatmap').checked = state.heatmap;
  document.getElementById('naming').value = state.naming;
  for (const layer of ['bands', 'military', 'protected']) document.getElementById(`layer-${layer}`).checked = state.layers[layer];
}

function applyStyle() {
  view.setColourBy(state.colorBy);
  view.setHeatmap(state.heatmap);
  for (const layer of ['bands', 'military', 'protected']) view.setLayer(layer, state.layers[layer]);
  view.refreshLabels();
  renderLegend();
  redrawList();
}

function setUpSkipLinks() {
  document.getElementById('skip-map').addEventListener('click', (e) => {
    e.preventDefault();
    view.map.getCanvas().focus();
  });
}

/** What could not be loaded at start-up, in words, with the map kept working. */
function startupProblem(what, error) {
  const box = document.getElementById('filter-error');
  box.hidden = false;
  box.textContent = `${what} could not be loaded (${error.message}). Reload the page to try again.`;
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
  const places = await getJson('api/collections/places/items', new URLSearchParams({ limit: '10000' }))
    .catch((error) => {
      startupProblem('The list of places', error);
      return { type: 'FeatureCollection', features: [] };
    });
  view = createMap(config, places, { onPick: pick, onDense: dense });
  setUpFilters(places);
  setUpMapOptions();
  setUpTimeline();
  setUpList();
  setUpMeasure(view);
  setUpExport();
  setUpSkipLinks();
  renderLegend();
  document.addEventListener('keydown', (e) => {
    if (e.key === 'Escape' && state.selected && !view.map.getCanvas().dataset.tool) hideDetails();
  });
  subscribe((reason, options) => {
    if (reason === 'filters') {
      syncFilters();
      redrawTimeline();
      reload({ fit: !options.keepView && !isPlaying() });
    } else if (reason === 'sort') {
      reload();
    } else if (reason === 'select') {
      showSelected();
    } else if (reason === 'style') {
      applyStyle();
    } else if (reason === 'naming') {
      // Labels change at once; the list, details and exports come back from the API.
      applyStyle();
      reload();
      showSelected();
    }
  });
  // Back and Forward step through filter changes.
  window.addEventListener('popstate', () => {
    readUrl();
    syncFilters({ force: true });
    syncMapOptions();
    applyStyle();
    reload({ fit: true });
  });
  renderSummaries().catch((error) => startupProblem('The reported totals', error));
  await view.loaded;
  const hadView = Boolean(state.view);
  await reload({ fit: hadView ? false : 'always' });
  window.strikemap = { map: view.map, state, view };
}

start().catch((error) => {
  setStatus('error');
  document.getElementById('count').textContent = `Could not start: ${error.message}`;
  throw error;
});
