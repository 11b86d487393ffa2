// The incident panel: everything the API returns about one incident, sources included.
import { state, update } from './state.js';
import { label } from './vocab.js';
import { countText, dateText, esc, km, sideText } from './format.js';

const panel = () => document.getElementById('details');

function nearestText(object, kmValue, what) {
  if (!object) return `none located in the ${what} layer (its coverage is partial)`;
  return `${km(kmValue)} — ${esc(object.name)}${object.uncertainty_km ? ` (position ±${object.uncertainty_km} km)` : ''}`;
}

const ROLES = { primary: 'reports it', secondary: 'relays it', denial: 'denies it', counter_claim: 'disputes it' };

/** Only web addresses become links (never `javascript:` or other schemes). */
function safeHref(url) {
  return /^https?:\/\//i.test(url || '') ? url : null;
}

function sourceItem(s) {
  const href = safeHref(s.url);
  const title = href ? `<a href="${esc(href)}" target="_blank" rel="noopener noreferrer">${esc(s.title)}</a>` : esc(s.title);
  const role = ROLES[s.role] || s.role;
  const bits = [esc(s.publisher), s.date ? esc(s.date) : 'date not given', role ? esc(role) : null].filter(Boolean);
  const claimant = s.claimant ? `<br><span class="hint">Claim made by ${esc(s.claimant)}</span>` : '';
  const readAt = safeHref(s.read_at);
  const read = readAt ? `<br><span class="hint">Read at <a href="${esc(readAt)}" target="_blank" rel="noopener noreferrer">${esc(s.relay || readAt)}</a></span>` : '';
  const quote = s.quote ? `<blockquote class="quote">${esc(s.quote)}</blockquote><span class="hint">Archived passage ${esc(s.passage)}</span>` : '';
  return `<li class="source source-${esc(s.role || 'primary')}"><strong>${title}</strong><br><span class="hint">${bits.join(' · ')}</span>${claimant}${read}${quote}${s.note ? `<br><span class="hint">${esc(s.note)}</span>` : ''}</li>`;
}

/** The element that had focus before the panel took it, to give it back on close. */
let returnFocus = null;

/** Opens the panel with `html` and moves the keyboard focus into it. */
function open(html) {
  const el = panel();
  if (el.hidden) returnFocus = document.activeElement;
  el.innerHTML = html;
  el.hidden = false;
  document.querySelector('.map-area').classList.add('details-open');
  // The list comes first in the page; the panel takes the focus so a keyboard reader lands
  // on what they chose (and on a phone it scrolls into view).
  el.focus({ preventScroll: true });
  el.scrollIntoView({ block: 'nearest' });
  return el;
}

/** Shows one incident feature. */
export function showIncident(feature) {
  const p = feature.properties;
  const el = open(`
    <button type="button" class="close" aria-label="Close details">✕</button>
    <h2>${esc(p.title)}</h2>
    <p class="attribution">${esc(p.attribution)}</p>
    <p>${esc(p.description)}</p>
    <dl>
      <dt>Date</dt><dd>${esc(dateText(p))} <span class="badge">${esc(p.date_precision)}</span>${p.date_note ? `<br><span class="hint">${esc(p.date_note)}</span>` : ''}</dd>
      <dt>Place</dt><dd>${esc(p.place)}<br><span class="hint">Also: ${esc(p.place_names.join(', '))}</span></dd>
      <dt>Location</dt><dd>${esc(label(p.geo_precision))} precision, ±${p.uncertainty_km} km<br><span class="hint">${esc(p.location_source)}</span></dd>
      <dt>Type</dt><dd>${esc(label(p.type))}</dd>
      <dt>Weapon</dt><dd>${esc(label(p.weapon))}</dd>
      <dt>Target</dt><dd>${esc(label(p.target))}</dd>
      <dt>Killed</dt><dd>${countText(p.killed, p.killed_high)}${p.children_killed !== null ? ` (children: ${countText(p.children_killed, p.children_killed_high)})` : ''}</dd>
      <dt>Injured</dt><dd>${countText(p.injured, p.injured_high)}${p.children_injured !== null ? ` (children: ${countText(p.children_injured, p.children_injured_high)})` : ''}</dd>
      <dt>Alleged perpetrator</dt><dd>${esc(label(p.perpetrator_alleged))}</dd>
      <dt>Reported by</dt><dd>${esc(p.reported_by.map(label).join(', '))}</dd>
      <dt>Verification</dt><dd><span class="badge">${esc(p.verification)}</span>${p.verification_note ? ` ${esc(p.verification_note)}` : ''}</dd>
      <dt>From the line</dt><dd>${km(p.depth_km)} (${km(p.depth_low_km)}–${km(p.depth_high_km)}), ${esc(sideText(p.side))}</dd>
      <dt>Nearest military object</dt><dd>${nearestText(p.nearest_military, p.nearest_military_km, 'military objects')}</dd>
      <dt>Nearest protected object</dt><dd>${nearestText(p.nearest_protected, p.nearest_protected_km, 'protected objects')}</dd>
      <dt>Nearest place</dt><dd>${esc(p.nearest_place ?? '—')} (${km(p.nearest_place_km)})</dd>
    </dl>
    <h3>Sources</h3>
    <ol class="sources">${p.sources.map(sourceItem).join('')}</ol>
    <p class="hint">Incident ${esc(p.id)}. Claims are the reporters', not strikemap's.</p>`);
  el.querySelector('.close').addEventListener('click', () => hide());
}

/**
 * Several incidents under one click: let the user pick one. `total` is how many there are in
 * all when only the first of them came.
 */
export function showChoices(features, total, onChoose) {
  const same = features.length > 1 && new Set(features.map((f) => f.geometry?.coordinates?.join(','))).size === 1;
  const more = total > features.length ? `<p class="hint">Showing ${features.length} of ${total}: zoom in or narrow the filters to reach the others.</p>` : '';
  const el = open(`<button type="button" class="close" aria-label="Close">✕</button>
    <h2>${total} incidents here</h2>
    ${same ? '<p class="hint">They share the same coordinates (often a town\'s centre, when the source names only the town).</p>' : ''}
    ${more}
    <div class="choices">${features.map((f) => `<button type="button" data-id="${esc(f.properties.id)}">${esc(dateText(f.properties))}: ${esc(f.properties.title)}</button>`).join('')}</div>`);
  el.querySelector('.close').addEventListener('click', () => hide());
  for (const button of el.querySelectorAll('.choices button')) {
    button.addEventListener('click', () => onChoose(button.dataset.id));
  }
}

/** A message in the panel (a link naming an incident that is not there, say). */
export function showMessage(text) {
  const el = open(`<button type="button" class="close" aria-label="Close">✕</button><p class="notice">${esc(text)}</p>`);
  el.querySelector('.close').addEventListener('click', () => hide());
}

export function hide() {
  panel().hidden = true;
  document.querySelector('.map-area').classList.remove('details-open');
  if (state.selected) update({ selected: null }, 'select');
  if (returnFocus?.isConnected) returnFocus.focus();
  returnFocus = null;
}
